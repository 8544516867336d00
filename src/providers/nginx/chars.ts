/** Character codes the nginx lexer and the splitter (split.ts) read a config by. */
export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const DQUOTE = 34;
export const HASH = 35;
export const DOLLAR = 36;
export const PERCENT = 37;
export const SQUOTE = 39;
export const RPAREN = 41;
export const SEMI = 59;
export const LT = 60;
export const BACKSLASH = 92;
export const LBRACE = 123;
export const RBRACE = 125;

/** White space as nginx sees it; NaN (past the end) is none. */
export const isSpaceCode = (c: number): boolean => c === SPACE || c === TAB || c === CR || c === LF;
