import { describe, expect, it } from 'vitest';
import { activeCall, findOpenPath, suggestCompletions, type CompletionSources } from './completions';
import { FUNCTION_NAMES } from './functions';

const sources: CompletionSources = {
  input: {
    name: 'Ada',
    orders: [
      { id: 'o1', total: 3 },
      { id: 'o2', total: 5 },
    ],
  },
  state: { user: { name: 'Ada', email: 'ada@example.com' }, 'odd key': 1, nickname: 'ada' },
  result: { tasks: [{ title: 'first' }] },
  results: { get_profile: { id: 7, tags: ['a'] } },
  resultIds: ['start', 'get_profile'],
  storedKeys: ['analysis_result', 'app_config', 'counter'],
  storedValues: { app_config: { theme: 'dark', limits: { max: 3 } } },
  otherScopes: { kvGlobal: { keys: ['feature_flags'] } },
};

function labels(text: string, from: CompletionSources = sources): string[] {
  return suggestCompletions(text, from).items.map((item) => item.label);
}

function apply(text: string, label: string, from: CompletionSources = sources): string {
  const completions = suggestCompletions(text, from);
  const item = completions.items.find((candidate) => candidate.label === label);
  if (!item) throw new Error(`no item ${label} in ${JSON.stringify(completions.items.map((i) => i.label))}`);
  return text.slice(0, completions.from) + item.insert;
}

describe('roots', () => {
  it('offers every root right after @{, then the functions', () => {
    expect(labels('Hello @{').slice(0, 10)).toEqual([
      'input',
      'state',
      'result',
      'results',
      'kv',
      'kvGroup',
      'kvGlobal',
      'run',
      'blueprint',
      'now',
    ]);
    expect(labels('Hello @{').slice(10)).toEqual([...FUNCTION_NAMES]);
  });

  it('offers error only where the block can be reached along an error out', () => {
    expect(labels('@{', { ...sources, hasError: true })).toContain('error');
    expect(labels('@{')).not.toContain('error');
  });

  it('filters roots by the typed prefix and replaces the partial root', () => {
    const completions = suggestCompletions('x @{res', sources);
    expect(completions.items.map((item) => item.label)).toEqual(['result', 'results']);
    expect(completions.from).toBe(4);
    expect(apply('x @{res', 'results')).toBe('x @{results');
  });

  it('filters case-insensitively, prefix matches first, then matches inside', () => {
    expect(labels('@{KV')).toEqual(['kv', 'kvGroup', 'kvGlobal']);
    expect(labels('@{glob')).toEqual(['kvGlobal']);
  });

  it('describes each root', () => {
    const kv = suggestCompletions('@{kvGr', sources).items[0];
    expect(kv).toMatchObject({ label: 'kvGroup', insert: 'kvGroup' });
    expect(kv?.detail).toContain('flow group');
  });
});

describe('functions', () => {
  it('offers functions with their signature and inserts the opening parenthesis', () => {
    const item = suggestCompletions('@{len', sources).items[0];
    expect(item).toMatchObject({ label: 'length', insert: 'length(' });
    expect(item?.detail).toContain('length(value)');
    expect(apply('Count: @{up', 'upper')).toBe('Count: @{upper(');
  });

  it('completes paths inside the arguments of a call, nested or after a comma', () => {
    expect(labels('@{length(state.')).toEqual(labels('@{state.'));
    expect(labels('@{add(1, result.')).toEqual(labels('@{result.'));
    expect(apply('@{upper(trim(inp', 'input')).toBe('@{upper(trim(input');
    expect(labels('@{add(1, 2) ')).toEqual([]);
    expect(labels('@{nope(')).toEqual([]);
  });

  it('knows the call and the argument the cursor is in, for the signature hint', () => {
    expect(activeCall('@{add(result.total, ')).toMatchObject({ fn: { name: 'add', signature: 'add(a, b, …)' }, argIndex: 1 });
    expect(activeCall('@{round(divide(1, 3), ')).toMatchObject({ fn: { name: 'round' }, argIndex: 1 });
    expect(activeCall('@{join(split("a,b", ",")')).toMatchObject({ fn: { name: 'join' }, argIndex: 0 });
    expect(activeCall('@{state.x}')).toBeNull();
    expect(activeCall('@{upper(input.name)} and ')).toBeNull();
  });
});

describe('outside a placeholder', () => {
  it('offers nothing in plain text, after a closed placeholder, or after an escaped one', () => {
    expect(suggestCompletions('plain text', sources)).toEqual({ from: 10, items: [] });
    expect(labels('@{state.user} and ')).toEqual([]);
    expect(labels('\\@{st')).toEqual([]);
  });

  it('offers nothing once the path is followed by a fallback', () => {
    expect(labels('@{state.user ?? "')).toEqual([]);
  });

  it('completes the placeholder after the cursor even when an earlier one is closed', () => {
    expect(labels('@{state.user} @{input.')).toEqual(['name', 'orders']);
  });
});

describe('paths from sample values', () => {
  it('offers the keys of an object after a dot, replacing from the dot', () => {
    const completions = suggestCompletions('@{state.', sources);
    expect(completions.from).toBe(7);
    expect(completions.items).toContainEqual({ label: 'user', insert: '.user', detail: 'object: name, email' });
    expect(apply('@{state.', 'user')).toBe('@{state.user');
  });

  it('filters keys by the partial segment', () => {
    expect(labels('@{state.n')).toEqual(['nickname']);
    expect(labels('@{state.user.em')).toEqual(['email']);
    expect(labels('@{state.user.e')).toEqual(['email', 'name']);
  });

  it('offers array indices and goes on through them', () => {
    expect(labels('@{input.orders.')).toEqual(['0', '1']);
    expect(apply('@{input.orders.', '1')).toBe('@{input.orders.1');
    expect(labels('@{input.orders.1.')).toEqual(['id', 'total']);
    expect(labels('@{result.tasks.0.')).toEqual(['title']);
  });

  it('uses brackets for keys a dot path cannot hold', () => {
    expect(apply('@{state.od', 'odd key')).toBe('@{state["odd key"]');
  });

  it('completes inside brackets, filtering by the partial quoted key', () => {
    const completions = suggestCompletions('@{state["odd', sources);
    expect(completions.items.map((item) => item.label)).toEqual(['odd key']);
    expect(completions.from).toBe(7);
    expect(apply('@{state["odd', 'odd key')).toBe('@{state["odd key"]');
    expect(apply('@{input.orders[', '0')).toBe('@{input.orders[0]');
  });

  it('offers the next segments right after a closing bracket', () => {
    expect(apply('@{state["user"]', 'email')).toBe('@{state["user"].email');
  });

  it('offers nothing below a string or number sample', () => {
    expect(labels('@{state.nickname.')).toEqual([]);
    expect(labels('@{input.missing.')).toEqual([]);
  });

  it('never offers prototype-chain names', () => {
    const withProto: CompletionSources = { state: JSON.parse('{"__proto__": {"x": 1}, "constructor": 2, "ok": 3}') };
    expect(labels('@{state.', withProto)).toEqual(['ok']);
    expect(labels('@{state.__proto__.', withProto)).toEqual([]);
  });

  it('describes sample values by type and preview', () => {
    const items = suggestCompletions('@{input.', sources).items;
    expect(items.find((item) => item.label === 'name')?.detail).toBe('string "Ada"');
    expect(items.find((item) => item.label === 'orders')?.detail).toBe('array, 2 items');
  });
});

describe('results, stored keys and fixed roots', () => {
  it('offers earlier blocks by id after results.', () => {
    expect(labels('@{results.')).toEqual(['start', 'get_profile']);
    expect(labels('@{results.get_profile.')).toEqual(['id', 'tags']);
  });

  it('offers stored keys after kv. and paths into known stored values', () => {
    expect(labels('@{kv.')).toEqual(['analysis_result', 'app_config', 'counter']);
    expect(labels('@{kv.app')).toEqual(['app_config']);
    expect(apply('@{kv.app_config.', 'limits')).toBe('@{kv.app_config.limits');
    expect(labels('@{kv.app_config.limits.')).toEqual(['max']);
  });

  it('offers the keys of other scopes under their own roots only', () => {
    expect(labels('@{kvGlobal.')).toEqual(['feature_flags']);
    expect(labels('@{kvGroup.')).toEqual([]);
  });

  it('offers the known fields of error, run and blueprint', () => {
    expect(labels('@{error.', { hasError: true })).toEqual(['code', 'message', 'nodeId']);
    expect(labels('@{run.')).toEqual(['id', 'startedAt']);
    expect(labels('@{blueprint.')).toEqual(['id', 'name', 'groupId']);
    expect(labels('@{now.')).toEqual([]);
  });

  it('offers nothing under an unknown root', () => {
    expect(labels('@{bogus.')).toEqual([]);
  });
});

describe('findOpenPath', () => {
  it('reads the typed path with its complete segments and partial', () => {
    expect(findOpenPath('a @{ state.user["x y"].na')).toEqual({
      root: 'state',
      segments: ['user', 'x y'],
      partial: 'na',
      from: 22,
      completing: 'dot',
    });
  });

  it('is null when a bracket quote is closed but the bracket is not', () => {
    expect(findOpenPath('@{state["x"')).toBeNull();
  });
});
