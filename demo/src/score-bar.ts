// One row of a score chart: a name, a bar as wide as the score (0–1) and the score as text. The full-precision score
// (and whatever else the caller sets) goes in data attributes for anyone reading the DOM; the e2e tests compare them.
import { formatScore } from './format.ts';

export function scoreBar(name: string, score: number, data: Record<string, string>, title?: string): HTMLLIElement {
  const li = document.createElement('li');
  Object.assign(li.dataset, data, { score: String(score) });
  const label = Object.assign(document.createElement('span'), { className: 'label-name', textContent: name });
  if (title) label.title = title;
  const bar = Object.assign(document.createElement('span'), { className: 'bar' });
  bar.setAttribute('aria-hidden', 'true');
  const fill = Object.assign(document.createElement('span'), { className: 'fill' });
  fill.style.width = `${Math.max(0, Math.min(1, score)) * 100}%`;
  fill.style.display = 'block';
  bar.append(fill);
  const text = Object.assign(document.createElement('span'), { className: 'score', textContent: formatScore(score) });
  li.append(label, bar, text);
  return li;
}
