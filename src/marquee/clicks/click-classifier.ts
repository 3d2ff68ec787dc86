import type { ClickClass } from '../events/events.service.ts'

/** Link-preview fetchers and unfurlers, by User-Agent: chat apps, social networks, search engines. */
const PREVIEW_FETCHERS =
  /slackbot|slack-imgproxy|twitterbot|facebookexternalhit|facebookcatalog|meta-externalagent|whatsapp|discordbot|telegrambot|linkedinbot|googlebot|google-inspectiontool|bingbot|bingpreview|applebot|skypeuripreview|microsoftpreview|embedly|iframely|pinterest|redditbot|mastodon|bluesky|cardyb|snapchat|viber|line-poker|kakaotalk-scrap|yahoo! slurp|duckduckbot|yandex|baiduspider|vkshare|tumblr|outbrain|quora link preview|google-pagerenderer|zoombot/i

/** Mail and URL scanners that open every link in a message before anyone reads it. */
const SCANNERS =
  /proofpoint|mimecast|barracuda|symantec|messagelabs|forcepoint|trendmicro|trend micro|sophos|fortinet|fortiguard|mcafee|ironport|cisco|checkpoint|zscaler|safelinks|safe ?links|microsoft office|ms-office|outlook-safelinks|bitdefender|kaspersky|avast|paloalto|cloudmark|spamassassin|urldefense|virustotal/i

/** Everything else that announces itself as a program rather than a browser. */
const OTHER_BOTS =
  /bot\b|bot\/|crawler|spider|scraper|preview|fetch|curl|wget|python|java\/|go-http-client|okhttp|axios|node-fetch|undici|libwww|httpclient|headless|phantomjs|scrapy/i

/** How long after delivery a bare GET is taken for the recipient's app fetching a preview. */
export const PREVIEW_WINDOW_MS = 10_000

export interface ClickRequest {
  method: string
  userAgent: string | undefined
  accept: string | undefined
  secFetchMode: string | undefined
  secFetchDest: string | undefined
  /** Milliseconds since the send was delivered (undefined when not known). */
  sinceDeliveryMs: number | undefined
}

/**
 * Classifies a GET (or HEAD) on a tracked link, before any confirmation: `human` only when it looks like
 * a browser navigating; known unfurlers, HEAD requests and bare GETs right after delivery are
 * `preview_fetch`; mail scanners are `scanner`; the rest `unknown`. Only the landing page's beacon makes
 * a click count; the class says what the filtered GETs were.
 */
export function classifyClick(req: ClickRequest): ClickClass {
  const ua = (req.userAgent ?? '').slice(0, 500)
  if (req.method === 'HEAD') return SCANNERS.test(ua) ? 'scanner' : 'preview_fetch'
  if (SCANNERS.test(ua)) return 'scanner'
  if (PREVIEW_FETCHERS.test(ua)) return 'preview_fetch'
  const navigating =
    req.secFetchMode === 'navigate' ||
    (req.secFetchMode === undefined && /text\/html/i.test(req.accept ?? '') && /mozilla\//i.test(ua))
  const browserLike = navigating && /mozilla\//i.test(ua) && !OTHER_BOTS.test(ua)
  if (browserLike && (req.secFetchDest === undefined || req.secFetchDest === 'document')) return 'human'
  if (
    req.sinceDeliveryMs !== undefined &&
    req.sinceDeliveryMs >= 0 &&
    req.sinceDeliveryMs < PREVIEW_WINDOW_MS
  ) {
    return 'preview_fetch'
  }
  return 'unknown'
}
