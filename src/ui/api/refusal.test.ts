import { describe, expect, it } from 'vitest';
import { readRefusal } from './refusal';

const answer = (body: string, status = 409) => new Response(body, { status, headers: { 'content-type': 'application/json' } });

describe('readRefusal', () => {
  it('reads the fields of a kvb error body', async () => {
    const body = { error: { code: 'conflict', message: 'moved', currentRevision: 4, keys: ['global::a'] } };
    expect(await readRefusal(answer(JSON.stringify(body)))).toEqual({
      code: 'conflict',
      message: 'moved',
      currentRevision: 4,
      keys: ['global::a'],
    });
  });

  it('leaves out fields of the wrong type, and reads anything else as nothing said', async () => {
    expect(await readRefusal(answer('{"error":{"code":7,"message":null,"currentRevision":"4","keys":"a"}}'))).toEqual({});
    expect(await readRefusal(answer('<html>Bad gateway</html>', 502))).toEqual({});
    expect(await readRefusal(answer('{"error":"nope"}'))).toEqual({});
    expect(await readRefusal(answer('null'))).toEqual({});
  });
});
