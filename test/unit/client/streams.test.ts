import { describe, expect, it } from 'vitest';
import { demuxBuffer, encodeFrame, FrameDemuxer, jsonLines, LineSplitter, parseJsonLine, StreamFormatError } from '../../../runtime/client/streams.js';

describe('multiplexed stdout/stderr frames', () => {
  const stream = Buffer.concat([encodeFrame('stdout', 'hello\n'), encodeFrame('stderr', 'oops\n'), encodeFrame('stdout', ''), encodeFrame('stdout', 'x'.repeat(70000))]);

  it('encodes the 8-byte header', () => {
    expect([...encodeFrame('stderr', 'ab')]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 97, 98]);
  });

  it('demuxes whatever the chunk boundaries', () => {
    for (const size of [1, 3, 7, 8, 9, 1000, stream.length]) {
      const d = new FrameDemuxer();
      const frames = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...d.push(stream.subarray(i, i + size)));
      expect(d.leftover).toBe(0);
      expect(frames.map((f) => [f.stream, f.data.length])).toEqual([['stdout', 6], ['stderr', 5], ['stdout', 0], ['stdout', 70000]]);
    }
  });

  it('splits a whole body into stdout and stderr', () => {
    const { stdout, stderr } = demuxBuffer(Buffer.concat([encodeFrame('stdout', 'a'), encodeFrame('stderr', 'b'), encodeFrame('stdout', 'c')]));
    expect(stdout.toString()).toBe('ac');
    expect(stderr.toString()).toBe('b');
  });

  it('rejects a raw (TTY) stream and a truncated frame', () => {
    expect(() => new FrameDemuxer().push(Buffer.from('hello world\n'))).toThrow(StreamFormatError);
    expect(() => new FrameDemuxer().push(Buffer.from('hello world\n'))).toThrow('not a multiplexed stream: frame header 68656c6c6f20776f');
    expect(() => demuxBuffer(encodeFrame('stdout', 'hello').subarray(0, 10))).toThrow('multiplexed stream ends inside a frame (10 bytes left)');
  });
});

describe('JSON lines', () => {
  it('splits lines across chunks, CRLF included, and keeps multibyte characters whole', () => {
    const s = new LineSplitter();
    const text = Buffer.from('{"status":"é"}\r\n{"a":1}\n{"b"');
    expect(s.push(text.subarray(0, 12))).toEqual([]);
    expect(s.push(text.subarray(12))).toEqual(['{"status":"é"}', '{"a":1}']);
    expect(s.push(Buffer.from(':2}'))).toEqual([]);
    expect(s.end()).toEqual(['{"b":2}']);
  });

  it('parses progress lines and names a bad one', async () => {
    async function* src() { yield Buffer.from('{"status":"Pulling fs layer","id":"ab"}\n\n{"status":"Do'); yield Buffer.from('ne"}\n'); }
    const out = [];
    for await (const m of jsonLines(src())) out.push(m);
    expect(out).toEqual([{ status: 'Pulling fs layer', id: 'ab' }, { status: 'Done' }]);
    expect(() => parseJsonLine('nope')).toThrow("not a JSON line in the engine's stream: nope");
    expect(parseJsonLine('   ')).toBeUndefined();
  });
});
