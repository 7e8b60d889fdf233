import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRecordingSut } from '../../scripts/testing/recording-sut.ts';

describe('request headers that do not arrive', () => {
  it('are answered 408 and the connection closed after the headers timeout', async () => {
    const { sut } = await startRecordingSut({ headersTimeoutMs: 400 });
    try {
      const socket = connect(Number(new URL(sut.url).port), '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => (answer += text));
      const closed = new Promise<void>((resolve) => {
        socket.on('close', () => {
          resolve();
        });
      });
      // Half the headers, then nothing.
      socket.write('POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      await closed;
      expect(answer.split('\r\n', 1)[0]).toBe('HTTP/1.1 408 Request Timeout');
      // The service still answers everyone else.
      expect((await fetch(`${sut.url}/metrics`)).status).toBe(200);
    } finally {
      await sut.stop();
    }
  });
});
