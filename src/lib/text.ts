/** True when the text has C0 control characters or DEL; newlines and tabs pass when `multiline`. */
export function hasControlCharacters(text: string, multiline = false): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (multiline && (c === 9 || c === 10 || c === 13)) continue
    if (c < 32 || c === 127) return true
  }
  return false
}
