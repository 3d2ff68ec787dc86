import { type IconProps, icon } from '../../../lib/web/ui/icons.tsx'

export { ChevronLeftIcon as BackIcon, SettingsIcon } from '../../../lib/web/ui/icons.tsx'

export const ChatIcon = icon(<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12Z" />)

export const PeopleIcon = icon(
  <>
    <circle cx="9" cy="8" r="3.5" />
    <path d="M2.5 20a6.5 6.5 0 0 1 13 0" />
    <path d="M16 4.6a3.5 3.5 0 0 1 0 6.8M18 14.3a6.5 6.5 0 0 1 3.5 5.7" />
  </>,
)

export const SendIcon = icon(
  <>
    <path d="M4 12 20 4l-5 16-3.5-6.5L4 12Z" />
    <path d="m11.5 13.5 3-3" />
  </>,
)

export const PlusIcon = icon(<path d="M12 5v14M5 12h14" />)

export const AppsIcon = icon(
  <>
    <rect x="3.5" y="3.5" width="7" height="7" rx="2" />
    <rect x="13.5" y="3.5" width="7" height="7" rx="2" />
    <rect x="3.5" y="13.5" width="7" height="7" rx="2" />
    <path d="M17 13.5v7M13.5 17h7" />
  </>,
)

export const ShieldIcon = icon(
  <>
    <path d="M12 3 4.5 6v5.5c0 4.6 3.1 8.3 7.5 9.5 4.4-1.2 7.5-4.9 7.5-9.5V6L12 3Z" />
    <path d="m9 12 2 2 4-4" />
  </>,
)

export const LogoMark = (props: IconProps) => (
  <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true" focusable="false" {...props}>
    <rect width="64" height="64" rx="16" fill="var(--accent)" />
    <circle cx="25" cy="32" r="11" fill="none" stroke="#fff" strokeWidth="5" />
    <circle cx="39" cy="32" r="11" fill="none" stroke="#c7d2fe" strokeWidth="5" />
  </svg>
)
