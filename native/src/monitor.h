/* `tscrun monitor`: one small process per container, like conmon. It works
 * with any OCI runtime (tscrun, runc, crun): it only runs `<runtime> create`.
 *
 *   tscrun monitor --id ID --bundle DIR --runtime PATH [--runtime-root DIR]
 *                  --log-path FILE [--log-max-size BYTES] [--log-max-file N]
 *                  --exit-file FILE [--pid-file FILE] [--terminal] [--stdin]
 *                  [--stdin-once] [--attach-socket PATH] [--control-socket PATH]
 *                  [--ready-fd N]
 *
 *  engine            P0 (tscrun monitor)     P1          P2 = MONITOR          runtime / container
 *    │ spawn ──────────▶ │ pipe(ready)
 *    │                   │ fork ───────────────▶ setsid
 *    │                   │                      fork ──────▶ │ subreaper, stdio=/dev/null,
 *    │                   │ waits on ready ◀─┐   exit         │ pipes out/err (+in) or
 *    │                   │                  │                │ console socket (--terminal)
 *    │                   │                  │                │ fork+exec ─────────────────▶ runtime [--root R] create
 *    │                   │                  │                │                               --bundle B --pid-file P
 *    │                   │                  │                │                               [--console-socket S] ID
 *    │                   │                  │                │ ◀──────────────── exit status (+ its stderr text)
 *    │                   │                  └── {"pid":N,"monitorPid":M}  or  error text
 *    │ ◀─ stdout / ready-fd: {"pid":N,"monitorPid":M}, exit 0
 *    │ ◀─ stderr: "<runtime> create failed: <runtime's message>", exit 1
 *    │    (a failure after a successful create runs `<runtime> delete --force`)
 *    │
 *    │ runtime start ID ───────────────────────────────────────────────────────▶ container runs
 *                                                  │ poll loop: out/err → json-file log
 *                                                  │   {"log":"line\n","stream":"stdout","time":"…Z"}
 *                                                  │   rotation: FILE, FILE.1 … FILE.(N-1)
 *                                                  │ attach clients ◀─▶ output frames / stdin
 *                                                  │ SIGCHLD: reap everything (subreaper)
 *                                                  │ init exited → drain output (until EOF, max 2 s)
 *                                                  │ → exit file (atomic rename):
 *                                                  │   {"exitCode":N,"signal":"SIGKILL"|null,
 *                                                  │    "finishedAt":"…Z","oomKilled":bool}
 *                                                  ▼ exit 0
 *
 * The container's exit code is 128+signal when it was killed by a signal
 * (Docker's convention). oomKilled comes from the container's memory cgroup
 * (found from /proc/<pid>/cgroup while it runs, so it works for any runtime).
 *
 * Log format: Docker's json-file, byte for byte: one JSON object per line;
 * lines longer than 16 KiB are split into partial entries (no trailing \n in
 * "log"), like dockerd; a last unterminated line is flushed at EOF. With
 * --terminal all output is "stdout" (a pty has one stream). --log-max-size 0
 * (default) never rotates; --log-max-file defaults to 1 (truncate in place).
 *
 * Attach socket (SOCK_STREAM, mode 0600): every connected client receives
 * output as Docker's multiplexed frames (8-byte header: stream 1=stdout or
 * 2=stderr, 3 zero bytes, big-endian u32 length; then the payload); with a
 * terminal the raw bytes are sent unframed. Bytes a client sends are written
 * to the container's stdin (needs --stdin or --terminal). A client that
 * shuts down its writing side keeps receiving output; with --stdin-once
 * (implies --stdin) that also closes the container's stdin, like Docker's
 * StdinOnce. A slow client is dropped rather than slowing the container.
 *
 * Control socket (SOCK_STREAM, mode 0600, at most 2 connections at once):
 * one command per line, each answered by one line, "ok" or "error <why>":
 *
 *   engine                                monitor
 *     │ connect ─────────────────────────▶ │
 *     │ "resize <rows> <cols>\n" ────────▶ │ TIOCSWINSZ on the pty master
 *     │ ◀──────────────────── "ok\n"       │ (the container gets SIGWINCH)
 *     │ ◀── "error the container has no terminal\n" (no --terminal)
 *
 * It is a socket of its own because bytes on the attach socket are stdin.
 *
 * The monitor ignores SIGPIPE and SIGHUP and survives its caller's death;
 * it holds no fd but its pipes, the log, the sockets and a signalfd. */
#ifndef TSC_MONITOR_H
#define TSC_MONITOR_H

/* Entry point of the `monitor` subcommand; argv[0] is "monitor". Returns the
 * process exit code for P0 (0: container created). */
int tsc_cmd_monitor(int argc, char **argv);

#endif
