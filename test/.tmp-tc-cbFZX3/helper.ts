export const extra = {};
