// A family fixture (test/fixtures/tiny-<family>) as a checkpoint of another head: the fixture's one model.safetensors
// holds every head's weights, and its config.json names the sequence classifier, so a task that needs another head
// gets a temporary folder with the same files and `architectures` naming that head (as a real checkpoint would).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from './fixture.ts';

const CLASS: Record<string, string> = { 'tiny-distilbert': 'DistilBert', 'tiny-roberta': 'Roberta', 'tiny-xlm-roberta': 'XLMRoberta', 'tiny-electra': 'Electra', 'tiny-albert': 'Albert', 'tiny-bert-chinese': 'Bert' };
export type FamilyHeadClass = 'ForSequenceClassification' | 'ForMaskedLM' | 'ForTokenClassification' | 'ForQuestionAnswering' | 'ForPreTraining';

const made: string[] = [];

/**
 * The folder of `folder`'s model as `<Family><head>` (the fixture itself for the sequence classifier), with
 * `configChanges` merged into its config.json (e.g. NLI labels for zero-shot) and the files named in `without` left out.
 */
export function familyAs(folder: string, head: FamilyHeadClass, configChanges: Record<string, unknown> = {}, without: string[] = []): string {
  const src = join(fixturesDir, folder);
  if (head === 'ForSequenceClassification' && Object.keys(configChanges).length === 0 && without.length === 0) return src;
  const dir = mkdtempSync(join(tmpdir(), `bertgpu-${folder}-${head}-`));
  made.push(dir);
  for (const name of readdirSync(src)) {
    if (name === 'config.json' || without.includes(name) || !statSync(join(src, name)).isFile()) continue;
    copyFileSync(join(src, name), join(dir, name));
  }
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: [`${CLASS[folder]}${head}`], ...configChanges }, null, 2));
  return dir;
}

/** Removes the folders familyAs() made (call from afterAll). */
export function removeFamilyVariants(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
