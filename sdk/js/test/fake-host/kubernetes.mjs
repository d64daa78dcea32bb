import { answers, recorded } from './state.ts';
export function listPage(type, options, page) {
  recorded.lists.push({ type, options, page });
  const answer = answers.listPage;
  if (answer instanceof Error) throw answer;
  return answer;
}
