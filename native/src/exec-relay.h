/* `tscrun exec-relay`: `exec -t` for a caller that cannot receive a file
 * descriptor. The engine is Node, which cannot take the pty master a runtime
 * hands over its --console-socket (SCM_RIGHTS), so this small process takes
 * it and relays bytes over plain pipes. It works with any OCI runtime.
 *
 *   tscrun exec-relay --runtime PATH [--runtime-root DIR] --process FILE
 *                     [--control-fd N] ID
 *
 *  engine                      exec-relay                      runtime / process
 *    │ spawn, pipes 0 1 2 (+N) ──▶ │ listen /tmp/tscexec-XXXXXX/console.sock
 *    │                            │ subreaper; fork+exec ──────▶ <runtime> [--root R] exec --detach --tty
 *    │                            │                               --console-socket S --pid-file P
 *    │                            │                               --process F ID
 *    │                            │ ◀── pty master (SCM_RIGHTS) ── process.terminal: true
 *    │                            │ ◀── runtime exits 0 ────────── process runs, orphaned: reparented
 *    │                            │ read P; socket and folder removed   to us (the subreaper)
 *    │ stdin  ──────────────────▶ │ ──▶ pty master ──▶ the process's terminal
 *    │ stdout ◀────────────────── │ ◀── pty master
 *    │ stderr ◀───────────────────────────────────── the runtime's own messages
 *    │ fd N: "resize ROWS COLS\n" ▶│ TIOCSWINSZ (before the pty arrives: kept, applied on arrival)
 *    │                            │ process exits (we reap it) → drain the pty
 *    │                            │ until EIO (no slave left) or 2 s
 *    │ ◀── exit status: the process's (128+N for signal N); 126 when the runtime failed
 *
 * runc accepts a console socket only with --detach (containerd's shim runs it
 * the same way), so the relay never relies on the runtime waiting.
 *
 * End of stdin does not end the process: a terminal has no end of input but
 * its hang-up, as with dockerd's `exec -t`. A caller that stops reading does
 * not block the process: its output is drained and dropped. Exit 126: the
 * process never ran (the runtime's or the relay's message is on stderr);
 * 2: bad command line. */
#ifndef TSC_EXEC_RELAY_H
#define TSC_EXEC_RELAY_H

int tsc_cmd_exec_relay(int argc, char **argv);

#endif
