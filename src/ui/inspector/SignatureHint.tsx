import type { ExpressionFunction } from '../../engine/functions';

/** `add(a, b, …)` under the field while the caret is in a call, the current argument in bold. */
export function SignatureHint({ fn, argIndex }: { fn: ExpressionFunction; argIndex: number }) {
  const params = fn.signature.slice(fn.name.length + 1, -1).split(', ');
  // A variadic signature ends in `…`: arguments past the last named one belong to it.
  const variadic = params.at(-1) === '…';
  const named = variadic ? params.length - 2 : params.length - 1;
  const current = variadic && argIndex > named ? named : argIndex;
  return (
    <div className="signature-hint" role="status" aria-label={`Signature of ${fn.name}`}>
      <code>
        {fn.name}(
        {params.map((param, index) => (
          <span key={index}>
            {index > 0 && ', '}
            {index === current ? <strong>{param}</strong> : param}
          </span>
        ))}
        )
      </code>
      <span className="signature-hint__summary">{fn.summary}</span>
    </div>
  );
}
