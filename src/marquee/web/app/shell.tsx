import { type ReactNode, type RefObject, useEffect, useRef, useState } from 'react'
import { Notice } from '../../../lib/web/ui/notice.tsx'
import { api } from '../api/endpoints.ts'
import { BrowsePage } from '../browse/browse-page.tsx'
import { GenrePage, GenresPage } from '../genres/genres-page.tsx'
import { HistoryPage } from '../history/history-page.tsx'
import { useInterface } from '../lib/interface.ts'
import { usePageTitle } from '../lib/page-title.ts'
import { Link, navigate, paths, type Route, useSearch } from '../lib/router.tsx'
import { useSpatialNavigation } from '../lib/spatial-nav.ts'
import { PlayerPage } from '../player/player-page.tsx'
import { SearchPage } from '../search/search-page.tsx'
import { SettingsPage } from '../settings/settings-page.tsx'
import { ShareDialogHost } from '../share/share-dialog.tsx'
import { closeShare, openShare, shareToResume } from '../share/share-store.ts'
import { logOut, useSession } from '../state/session.ts'
import { TitlePage } from '../title/title-page.tsx'
import { GearIcon, GridIcon, HistoryIcon, HomeIcon, LogoMark, SearchIcon } from '../ui/icons.tsx'

function NotFound() {
  usePageTitle('Not found')
  return (
    <div>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        <Link to={paths.browse}>Back to Home</Link>
      </p>
    </div>
  )
}

const navItems: { id: string; label: string; to: string; icon: ReactNode; active: (r: Route) => boolean }[] =
  [
    { id: 'home', label: 'Home', to: paths.browse, icon: <HomeIcon />, active: (r) => r.name === 'browse' },
    {
      id: 'search',
      label: 'Search',
      to: paths.search(),
      icon: <SearchIcon />,
      active: (r) => r.name === 'search',
    },
    {
      id: 'genres',
      label: 'Genres',
      to: paths.genres,
      icon: <GridIcon />,
      active: (r) => r.name === 'genres' || r.name === 'genre',
    },
    {
      id: 'history',
      label: 'History',
      to: paths.history,
      icon: <HistoryIcon />,
      active: (r) => r.name === 'history',
    },
    {
      id: 'settings',
      label: 'Settings',
      to: paths.settings,
      icon: <GearIcon />,
      active: (r) => r.name === 'settings',
    },
  ]

function NavLinks({ route, className }: { route: Route; className: string }) {
  return (
    <ul className={className}>
      {navItems.map((item) => {
        const current = item.active(route)
        return (
          <li key={item.id}>
            <Link to={item.to} aria-current={current ? 'page' : undefined} data-testid={`nav-${item.id}`}>
              {item.icon}
              <span>{item.label}</span>
            </Link>
          </li>
        )
      })}
    </ul>
  )
}

/** Moves focus to the new screen's heading after navigation, as a full page load would. */
function useFocusOnNavigate(route: Route, main: RefObject<HTMLElement | null>) {
  const key =
    route.name === 'title' || route.name === 'watch'
      ? `${route.name}:${route.titleId}`
      : route.name === 'genre'
        ? `genre:${route.genre}`
        : route.name
  const previous = useRef<string | null>(null)
  useEffect(() => {
    const isFirst = previous.current === null
    if (previous.current === key) return
    previous.current = key
    closeShare()
    // The player focuses its play button and search its field; the rest focus their heading once it exists.
    if (isFirst || route.name === 'watch' || route.name === 'search') return
    let tries = 0
    const focusHeading = () => {
      const heading = main.current?.querySelector('h1')
      if (heading) heading.focus({ preventScroll: true })
      else if (tries++ < 20) setTimeout(focusHeading, 50)
    }
    focusHeading()
  }, [key, main, route.name])
}

/** Tells how "Connect with Tandem" went (Marquee's callback adds `?tandem=` to the page it returns to). */
function TandemOutcome() {
  const search = new URLSearchParams(useSearch())
  const outcome = search.get('tandem')
  const [shown, setShown] = useState<{ outcome: string; reason: string | null } | null>(null)
  useEffect(() => {
    if (!outcome) return
    setShown({ outcome, reason: search.get('reason') })
    const url = new URL(location.href)
    url.searchParams.delete('tandem')
    url.searchParams.delete('reason')
    navigate(`${url.pathname}${url.search}`, { replace: true, keepScroll: true })
  }, [outcome, search])
  if (!shown) return null
  return (
    <div className="banner">
      {shown.outcome === 'connected' ? (
        <Notice tone="success" testId="tandem-result">
          Tandem is connected. You can now share with friends there.
        </Notice>
      ) : (
        <Notice tone="error" testId="tandem-result">
          Tandem was not connected{shown.reason ? ` (${shown.reason.replace(/_/g, ' ')})` : ''}. You can try
          again.
        </Notice>
      )}
      <button type="button" className="button button-ghost button-small" onClick={() => setShown(null)}>
        Dismiss
      </button>
    </div>
  )
}

/** Back from "Connect with Tandem" started in the share dialog: open the dialog again where it was. */
function useResumeShare() {
  const search = useSearch()
  useEffect(() => {
    const resume = shareToResume(search)
    if (!resume) return
    const url = new URL(location.href)
    url.searchParams.delete('share')
    url.searchParams.delete('surface')
    navigate(`${url.pathname}${url.search}`, { replace: true, keepScroll: true })
    api.title(resume.titleId).then(
      ({ title }) => openShare(title, resume.surface),
      () => undefined,
    )
  }, [search])
}

export function Shell({ route }: { route: Route }) {
  const main = useRef<HTMLElement>(null)
  const ui = useInterface()
  const session = useSession()
  useFocusOnNavigate(route, main)
  useSpatialNavigation(ui === 'tv')
  useResumeShare()
  const me = session.status === 'signed-in' ? session.me : null

  return (
    <div className="app" data-interface={ui} data-screen={route.name} data-testid="app-shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to={paths.browse} className="brand" aria-label="Marquee home">
          <LogoMark />
          <span>Marquee</span>
        </Link>
        {ui !== 'mobile' && (
          <nav aria-label="Main" className="top-nav">
            <NavLinks route={route} className="top-nav-list" />
          </nav>
        )}
        <div className="me">
          {me && (
            <span className="me-name" data-testid="me-name">
              {me.displayName}
            </span>
          )}
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => void logOut()}
            data-testid="logout"
          >
            Log out
          </button>
        </div>
      </header>
      <TandemOutcome />
      <main id="main" className="page" ref={main} tabIndex={-1}>
        {route.name === 'browse' && <BrowsePage />}
        {route.name === 'search' && <SearchPage />}
        {route.name === 'genres' && <GenresPage />}
        {route.name === 'genre' && <GenrePage key={route.genre} genre={route.genre} />}
        {route.name === 'title' && <TitlePage key={route.titleId} titleId={route.titleId} />}
        {route.name === 'watch' && <PlayerPage key={route.titleId} titleId={route.titleId} />}
        {route.name === 'history' && <HistoryPage />}
        {route.name === 'settings' && <SettingsPage />}
        {route.name === 'not-found' && <NotFound />}
      </main>
      {ui === 'mobile' && (
        <nav aria-label="Main" className="bottom-nav" data-testid="bottom-nav">
          <NavLinks route={route} className="bottom-nav-list" />
        </nav>
      )}
      <ShareDialogHost />
    </div>
  )
}
