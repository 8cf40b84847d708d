import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../kv/errors';
import { errorTooltip } from './ErrorHelp';

describe('errorTooltip', () => {
  it('puts the code and message first, then what to do about the code', () => {
    expect(errorTooltip({ code: 'limit', message: 'Stopped after 100 steps' })).toBe(
      `limit: Stopped after 100 steps\n\n${ERROR_CODES.limit.help}`,
    );
  });

  it('shows an unknown code (an old run record) with its message only', () => {
    expect(errorTooltip({ code: 'retired_code', message: 'x' })).toBe('retired_code: x');
  });
});
