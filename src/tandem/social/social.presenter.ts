interface UserRow {
  id: string
  username: string
  display_name: string
}

export const presentFriend = (row: UserRow & { since: Date }) => ({
  id: row.id,
  username: row.username,
  displayName: row.display_name,
  since: row.since.toISOString(),
})

export const presentRequest = (
  row: { id: string; from_user_id: string; to_user_id: string; status: string; created_at: Date },
  user: UserRow,
) => ({
  id: row.id,
  fromUserId: row.from_user_id,
  toUserId: row.to_user_id,
  status: row.status,
  createdAt: row.created_at.toISOString(),
  user: { id: user.id, username: user.username, displayName: user.display_name },
})
