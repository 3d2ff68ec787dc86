import type { ReactNode } from 'react'
import { hostOf, webUrl } from '../lib/format.ts'

interface ExternalLinkProps {
  href: string | null | undefined
  children?: ReactNode
  className?: string
  testId?: string
}

/**
 * A link to an address a partner supplied, opened in a new tab without a referrer. Only http(s)
 * addresses become links; anything else shows as plain text (SECURITY.md row 48).
 */
export function ExternalLink({ href, children, className, testId }: ExternalLinkProps) {
  const url = webUrl(href)
  const label = children ?? hostOf(href ?? '')
  if (!url) {
    return (
      <span className={className} data-testid={testId}>
        {label}
      </span>
    )
  }
  return (
    <a
      className={className}
      href={url}
      target="_blank"
      rel="noopener noreferrer nofollow"
      data-testid={testId}
    >
      {label}
    </a>
  )
}
