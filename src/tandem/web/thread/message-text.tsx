import { linkify } from '../lib/linkify.ts'

interface MessageTextProps {
  text: string
  links: { url: string; href: string }[]
}

/** Message text as plain text, with each URL the server found as a link through the link shim. */
export function MessageText({ text, links }: MessageTextProps) {
  return (
    <p className="message-text">
      {linkify(text, links).map((part, i) =>
        part.kind === 'text' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are derived from immutable text, in order
          <span key={i}>{part.text}</span>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts are derived from immutable text, in order
          <a key={i} href={part.href} rel="noopener noreferrer" target="_blank">
            {part.url}
          </a>
        ),
      )}
    </p>
  )
}
