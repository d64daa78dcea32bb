import { recorded } from './state.ts';
export function write(level, message) { recorded.logs.push({ level, message }); }
