import { type IconProps, icon } from '../../../lib/web/ui/icons.tsx'

export { ChevronLeftIcon as ChevronLeft, SettingsIcon as GearIcon } from '../../../lib/web/ui/icons.tsx'

export const HomeIcon = icon(<path d="M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z" />)
export const SearchIcon = icon(
  <>
    <circle cx="11" cy="11" r="7" />
    <path d="M20 20l-4-4" />
  </>,
)
export const GridIcon = icon(
  <>
    <rect x="3" y="3" width="7" height="7" rx="1" />
    <rect x="14" y="3" width="7" height="7" rx="1" />
    <rect x="3" y="14" width="7" height="7" rx="1" />
    <rect x="14" y="14" width="7" height="7" rx="1" />
  </>,
)
export const HistoryIcon = icon(
  <>
    <path d="M3 12a9 9 0 1 0 3-6.7L3 8" />
    <path d="M3 3v5h5M12 7v5l3 2" />
  </>,
)
const solid: IconProps = { fill: 'currentColor', stroke: 'none' }
export const PlayIcon = icon(
  <path d="M7 4.5v15a1 1 0 0 0 1.5.9l12-7.5a1 1 0 0 0 0-1.7l-12-7.5A1 1 0 0 0 7 4.5z" />,
  solid,
)
export const PauseIcon = icon(
  <>
    <rect x="6" y="4" width="4" height="16" rx="1" />
    <rect x="14" y="4" width="4" height="16" rx="1" />
  </>,
  solid,
)
export const ShareIcon = icon(
  <>
    <circle cx="18" cy="5" r="3" />
    <circle cx="6" cy="12" r="3" />
    <circle cx="18" cy="19" r="3" />
    <path d="M8.6 13.5l6.8 4M15.4 6.5l-6.8 4" />
  </>,
)
export const ChevronRight = icon(<path d="M9 18l6-6-6-6" />)
export const SkipEndIcon = icon(<path d="M5 4l10 8-10 8zM19 5v14" />)
export const BackIcon = icon(<path d="M11 17l-5-5 5-5M18 17l-5-5 5-5" />)
export const ForwardIcon = icon(<path d="M13 17l5-5-5-5M6 17l5-5-5-5" />)
export const LinkIcon = icon(
  <>
    <path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7" />
    <path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7" />
  </>,
)
export const MailIcon = icon(
  <>
    <rect x="3" y="5" width="18" height="14" rx="2" />
    <path d="M3 7l9 6 9-6" />
  </>,
)
export const CloseIcon = icon(<path d="M18 6L6 18M6 6l12 12" />)
export const CheckIcon = icon(<path d="M20 6L9 17l-5-5" />)

/** Marquee's mark: a ticket-shaped "M". */
export const LogoMark = (p: IconProps) => (
  <svg width={28} height={28} viewBox="0 0 32 32" aria-hidden="true" focusable="false" {...p}>
    <rect x="1" y="5" width="30" height="22" rx="5" fill="#dc2626" />
    <path d="M8 22V10l8 7 8-7v12" fill="none" stroke="#fff" strokeWidth="3" strokeLinejoin="round" />
  </svg>
)
