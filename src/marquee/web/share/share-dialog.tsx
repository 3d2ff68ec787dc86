import { useCallback, useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api, tandemConnectUrl } from '../api/endpoints.ts'
import { describeError } from '../api/http.ts'
import type { Surface, TandemFriends, TandemStatus, Title } from '../api/types.ts'
import { genreLabel } from '../lib/format.ts'
import { shareDialogVariant } from '../state/session.ts'
import { CloseIcon } from '../ui/icons.tsx'
import { ClassicShare, type RecipientGroup } from './classic-share.tsx'
import { QuickShare } from './quick-share.tsx'
import { grants, tandemRecipients } from './recipients.ts'
import { closeShare, shareReturnPath, useShareRequest } from './share-store.ts'

export interface ShareData {
  variant: string
  tandem: TandemStatus | null
  friends: TandemFriends | null
  /** Why Tandem friends could not be listed (the dialog still offers external sharing). */
  problem: string | null
}

/** The app's single share dialog, opened with `openShare` from any surface. */
export function ShareDialogHost() {
  const request = useShareRequest()
  if (!request) return null
  return <ShareDialog key={request.key} title={request.title} surface={request.surface} />
}

async function loadShareData(): Promise<ShareData> {
  const variant = await shareDialogVariant()
  let tandem: TandemStatus | null = null
  let friends: TandemFriends | null = null
  let problem: string | null = null
  try {
    tandem = (await api.tandem()).tandem
  } catch (failure) {
    problem = `Tandem friends are unavailable: ${describeError(failure)}`
  }
  const granted = grants(tandem)
  if (granted.connected && (granted.appFriends || granted.suggestions)) {
    try {
      friends = await api.tandemFriends()
    } catch (failure) {
      problem = `Could not load your Tandem friends: ${describeError(failure)}`
    }
  }
  return { variant, tandem, friends, problem }
}

function ShareDialog({ title, surface }: { title: Title; surface: Surface }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [data, setData] = useState<ShareData | null>(null)

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    const el = dialog.current
    if (el && !el.open) el.showModal()
    return () => {
      if (opener?.isConnected) opener.focus()
    }
  }, [])

  useEffect(() => {
    let live = true
    void loadShareData().then((loaded) => {
      if (live) setData(loaded)
    })
    return () => {
      live = false
    }
  }, [])

  const close = useCallback(() => dialog.current?.close(), [])
  const returnTo = shareReturnPath(title, surface)

  return (
    <dialog
      ref={dialog}
      className="dialog share-dialog"
      aria-labelledby="share-dialog-title"
      data-testid="share-dialog"
      data-state={data ? 'ready' : 'loading'}
      data-variant={data?.variant}
      data-surface={surface}
      onClose={closeShare}
    >
      <header className="dialog-head">
        <img src={title.posterUrl} alt="" className="dialog-poster" />
        <div>
          <h2 id="share-dialog-title">Share {title.name}</h2>
          <p className="muted small">
            {title.year} · {title.genres.slice(0, 2).map(genreLabel).join(', ')}
          </p>
        </div>
        <button
          type="button"
          className="icon-button dialog-close"
          aria-label="Close"
          onClick={close}
          data-testid="share-close"
        >
          <CloseIcon />
        </button>
      </header>
      {!data && (
        <p className="loading" role="status">
          Loading your friends…
        </p>
      )}
      {data && <ShareBody title={title} surface={surface} data={data} returnTo={returnTo} onDone={close} />}
    </dialog>
  )
}

function ShareBody({
  title,
  surface,
  data,
  returnTo,
  onDone,
}: {
  title: Title
  surface: Surface
  data: ShareData
  returnTo: string
  onDone: () => void
}) {
  const granted = grants(data.tandem)
  const { friends, suggestions } = tandemRecipients(data.friends)
  const explanations: string[] = []
  if (granted.connected) {
    if (!granted.send)
      explanations.push(
        'You did not allow Marquee to send recommendations on Tandem, so only links can be shared.',
      )
    if (!granted.appFriends)
      explanations.push('You did not let Marquee see which of your friends use Marquee.')
    if (!granted.suggestions)
      explanations.push('You did not let Marquee suggest itself to friends who are not on Marquee.')
  }
  const canSendTandem = granted.connected && granted.send
  const tandemGroups: RecipientGroup[] = []
  if (canSendTandem && granted.appFriends)
    tandemGroups.push({
      id: 'friends',
      heading: 'Friends on Marquee',
      empty: 'None of your Tandem friends has connected Marquee yet.',
      recipients: friends,
    })
  if (canSendTandem && granted.suggestions)
    tandemGroups.push({
      id: 'suggestions',
      heading: 'Suggest to friends not on Marquee',
      note: 'Tandem lists only friends who allow suggestions, and Marquee never learns who they are.',
      empty: 'No friends to suggest it to right now.',
      recipients: suggestions,
    })

  return (
    <div className="dialog-body">
      {data.problem && <Notice tone="error">{data.problem}</Notice>}
      {!granted.connected && (
        <div className="connect-prompt" data-testid="tandem-connect-prompt">
          <p>
            <strong>Send it to your friends on Tandem.</strong>{' '}
            <span className="muted">Connect once; you choose what Marquee may do.</span>
          </p>
          <a className="button button-tandem" href={tandemConnectUrl(returnTo)} data-testid="connect-tandem">
            Connect with Tandem
          </a>
        </div>
      )}
      {explanations.length > 0 && (
        <div className="grant-notes" data-testid="grant-notes">
          <ul className="muted small">
            {explanations.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          <a className="small" href={tandemConnectUrl(returnTo)}>
            Change what Marquee may do
          </a>
        </div>
      )}
      {data.variant === 'quick' ? (
        <QuickShare title={title} surface={surface} groups={tandemGroups} onDone={onDone} />
      ) : (
        <ClassicShare title={title} surface={surface} groups={tandemGroups} onDone={onDone} />
      )}
    </div>
  )
}
