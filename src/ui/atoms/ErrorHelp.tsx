import { helpOf } from '../../engine';

/**
 * What to do about an error code, from the one error table, as a smaller line under the
 * message. Renders nothing for a code this version does not know (an old run record).
 */
export function ErrorHelp({ code }: { code: string }) {
  const help = helpOf(code);
  return help ? <div className="error-help">{help}</div> : null;
}

/** `code: message`, then the help text: the tooltip of an error shown in little room. */
export function errorTooltip(error: { code: string; message: string }): string {
  const help = helpOf(error.code);
  return `${error.code}: ${error.message}${help ? `\n\n${help}` : ''}`;
}
