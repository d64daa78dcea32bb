import { recorded } from './state.ts';
export function report(progress, total, message) { recorded.progress.push({ progress, total, message }); }
export function detach() { return false; }
