import type { RenderedMarkdown } from '../markdown.ts';

interface MarkdownBodyProps {
  html: RenderedMarkdown;
  class?: string;
  /** Emails only: inline styles for the container (email clients ignore stylesheets). */
  style?: string;
}

/**
 * A message's text as rendered by `src/views/markdown.ts`: the one component that passes HTML to Preact unescaped,
 * and it takes only the renderer's output (raw HTML off, links and schemes checked there).
 */
export function MarkdownBody({ html, class: className, style }: MarkdownBodyProps) {
  return (
    <div
      class={className ? `md ${className}` : 'md'}
      dir="auto"
      style={style}
      // eslint-disable-next-line no-restricted-syntax -- the markdown renderer's output only (src/views/markdown.ts)
      dangerouslySetInnerHTML={html}
    />
  );
}
