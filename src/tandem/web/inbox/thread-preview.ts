import type { Me, Thread } from '../api/types.ts'

/** The one line under a thread's name: who said what last. */
export function previewLine(thread: Thread, me: Me): string {
  const last = thread.lastMessage
  if (!last) return thread.kind === 'group' ? 'Group created. Say hello!' : 'No messages yet. Say hello!'
  const text = last.text.replace(/\s+/g, ' ').trim() || (last.kind === 'title_card' ? 'Shared a title' : '')
  if (last.viaName) return `${last.senderName} via ${last.viaName}: ${text}`
  if (last.senderId === me.id) return `You: ${text}`
  if (thread.kind === 'group') return `${last.senderName.split(' ')[0]}: ${text}`
  return text
}
