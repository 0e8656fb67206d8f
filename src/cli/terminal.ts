/** Terminal output shared by the commands: colour only on a TTY and without NO_COLOR. */
const color = process.stdout.isTTY && !process.env.NO_COLOR;
export const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = (s: string) => paint('32', s);
export const red = (s: string) => paint('31', s);
export const dim = (s: string) => paint('2', s);
export { color };
