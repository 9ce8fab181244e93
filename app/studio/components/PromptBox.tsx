import { useStudio } from '../../state/store';
import { MAX_PROMPT_CHARS } from '../../state/url-settings';

/** Prompts that show what the demo model knows: shapes, words, colours, motions, backgrounds. */
export const EXAMPLE_PROMPTS = [
  'a red circle moving right',
  'a yellow star spinning on a blue gradient',
  'the word SALE zooming in, white on purple',
  'a green triangle bouncing, slow camera pan',
];

export function PromptBox() {
  const prompt = useStudio((s) => s.create.prompt);
  const setPrompt = useStudio((s) => s.setPrompt);
  const maxTokens = useStudio((s) => s.model.manifest?.text.tokenizer.max_length);
  return (
    <section className="panel-section" aria-labelledby="prompt-label">
      <label id="prompt-label" htmlFor="prompt" className="section-title">
        Prompt
      </label>
      <textarea
        id="prompt"
        className="prompt"
        rows={3}
        maxLength={MAX_PROMPT_CHARS}
        placeholder="Describe the clip: an object, its colour, how it moves…"
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        aria-describedby="prompt-hint"
      />
      <p id="prompt-hint" className="hint">
        <kbd>Ctrl</kbd>+<kbd>Enter</kbd> generates. Long prompts are cut to the model's{' '}
        {maxTokens ? `${maxTokens}-token` : 'token'} limit.
      </p>
      <fieldset className="examples">
        <legend className="visually-hidden">Example prompts</legend>
        {EXAMPLE_PROMPTS.map((p) => (
          <button key={p} type="button" className="chip" onClick={() => setPrompt(p)}>
            {p}
          </button>
        ))}
      </fieldset>
    </section>
  );
}
