import { createHash } from 'node:crypto'

/**
 * The catalogue Marquee ships with, generated from word lists by a seeded PRNG so every install has
 * the same titles. Migration 0002 inserts it and checks CATALOG_CHECKSUM: changing anything here
 * changes the shipped data, which needs a new migration (and a new checksum) rather than an edit.
 */

export const GENRES = [
  { id: 'drama', name: 'Drama' },
  { id: 'comedy', name: 'Comedy' },
  { id: 'thriller', name: 'Thriller' },
  { id: 'science-fiction', name: 'Science Fiction' },
  { id: 'romance', name: 'Romance' },
  { id: 'documentary', name: 'Documentary' },
  { id: 'animation', name: 'Animation' },
  { id: 'crime', name: 'Crime' },
  { id: 'fantasy', name: 'Fantasy' },
  { id: 'mystery', name: 'Mystery' },
  { id: 'family', name: 'Family' },
  { id: 'adventure', name: 'Adventure' },
] as const

export type GenreId = (typeof GENRES)[number]['id']
export const GENRE_IDS = GENRES.map((g) => g.id) as [GenreId, ...GenreId[]]
export const genreName = (id: string): string => GENRES.find((g) => g.id === id)?.name ?? id

export interface CatalogTitle {
  id: string
  name: string
  year: number
  runtimeMinutes: number
  genres: GenreId[]
  synopsis: string
  kind: 'film' | 'series'
  /** Seasons of a series; null for a film. */
  seasons: number | null
}

/** mulberry32: small, fast and good enough to pick words; the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Rng = () => number
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T
const between = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1))

/** Title words each genre leans on; names mix a genre's words with the shared ones. */
const WORDS: Record<GenreId, { adjectives: string[]; nouns: string[] }> = {
  drama: {
    adjectives: ['Quiet', 'Borrowed', 'Unfinished', 'Distant', 'Small', 'Ordinary', 'Late', 'Tender'],
    nouns: ['Harbour', 'Inheritance', 'Kitchen', 'Sister', 'Season', 'Promise', 'Orchard', 'Letters'],
  },
  comedy: {
    adjectives: ['Accidental', 'Reluctant', 'Wonderful', 'Ridiculous', 'Second-Hand', 'Lucky', 'Noisy'],
    nouns: ['Wedding', 'Neighbours', 'Holiday', 'Understudy', 'Roommates', 'Bakery', 'Reunion', 'Plan'],
  },
  thriller: {
    adjectives: ['Silent', 'Cold', 'Hidden', 'Narrow', 'Burning', 'Sleepless', 'Dark'],
    nouns: ['Signal', 'Witness', 'Crossing', 'Protocol', 'Corridor', 'Frequency', 'Deadline', 'Exit'],
  },
  'science-fiction': {
    adjectives: ['Last', 'Orbital', 'Infinite', 'Electric', 'Hollow', 'Parallel', 'Distant', 'Silver'],
    nouns: ['Orbit', 'Meridian', 'Satellite', 'Colony', 'Horizon', 'Archive', 'Relay', 'Machine'],
  },
  romance: {
    adjectives: ['Summer', 'Golden', 'Endless', 'Sudden', 'Gentle', 'Paper', 'Autumn'],
    nouns: ['Hearts', 'Letters', 'Promise', 'Dance', 'Waltz', 'Postcards', 'Vineyard', 'Balcony'],
  },
  documentary: {
    adjectives: ['Wild', 'Living', 'Hidden', 'Vanishing', 'Deep', 'Restless', 'Ancient'],
    nouns: ['Rivers', 'Glaciers', 'Islands', 'Forests', 'Reefs', 'Cities', 'Deserts', 'Makers'],
  },
  animation: {
    adjectives: ['Little', 'Brave', 'Curious', 'Tiny', 'Clockwork', 'Paper', 'Giant'],
    nouns: ['Lantern', 'Fox', 'Robot', 'Kite', 'Dragon', 'Balloon', 'Whale', 'Owl'],
  },
  crime: {
    adjectives: ['Crooked', 'Midnight', 'Loaded', 'Dirty', 'Borrowed', 'Stolen', 'Brass'],
    nouns: ['Ledger', 'Heist', 'Alibi', 'Docks', 'Racket', 'Verdict', 'Precinct', 'Syndicate'],
  },
  fantasy: {
    adjectives: ['Hollow', 'Silver', 'Forgotten', 'Enchanted', 'Thorned', 'Sunken', 'Ember'],
    nouns: ['Crown', 'Kingdom', 'Forest', 'Spell', 'Tower', 'Realm', 'Oath', 'Sword'],
  },
  mystery: {
    adjectives: ['Missing', 'Locked', 'Vanishing', 'Sealed', 'Crimson', 'Whispering', 'Foggy'],
    nouns: ['Cipher', 'Manor', 'Key', 'Portrait', 'Clue', 'Riddle', 'Lighthouse', 'Diary'],
  },
  family: {
    adjectives: ['Great', 'Happy', 'Big', 'Merry', 'Backyard', 'Sunny', 'Magic'],
    nouns: ['Adventure', 'Treehouse', 'Summer', 'Puppy', 'Picnic', 'Garden', 'Circus', 'Camp'],
  },
  adventure: {
    adjectives: ['Lost', 'Northern', 'High', 'Uncharted', 'Wild', 'Broken', 'Far'],
    nouns: ['Expedition', 'Passage', 'Summit', 'Voyage', 'Compass', 'Map', 'Trail', 'Canyon'],
  },
}

const PLACES = [
  'Marrow Bay',
  'Kestrel Point',
  'Ashford',
  'Lisbon',
  'Vey Island',
  'the Lowlands',
  'Port Auden',
  'Salt Creek',
  'Windmere',
  'Oslo',
  'the Valley',
  'Brightwater',
  'Cordova',
  'Larkspur Lane',
  'Tessaly',
  'the North Road',
  'Juniper Hill',
  'Calder',
]
const TIMES = [
  'in Winter',
  'in Spring',
  'in August',
  'in the Rain',
  'after the Storm',
  'at Midnight',
  'at Dawn',
  'in the Snow',
]
const NUMBERS = ['Two', 'Three', 'Seven', 'Nine', 'Twelve', 'A Hundred', 'Forty']
const VERBS = ['Chasing', 'Finding', 'Keeping', 'Leaving', 'Crossing', 'Holding', 'Mapping', 'Saving']
const PREPOSITIONS = ['After', 'Before', 'Beyond', 'Under', 'Across', 'Beneath']

const plural = (word: string) =>
  word.endsWith('s')
    ? word
    : /[^aeiou]y$/.test(word)
      ? `${word.slice(0, -1)}ies`
      : /(ch|sh|x|z)$/.test(word)
        ? `${word}es`
        : `${word}s`
const article = (word: string) => (/^[AEIOU]/.test(word) ? 'An' : 'A')

function makeName(rng: Rng, genre: GenreId): string {
  const { adjectives, nouns } = WORDS[genre]
  const adj = pick(rng, adjectives)
  const noun = pick(rng, nouns)
  const singular = !noun.endsWith('s')
  const forms: Array<() => string> = [
    () => `The ${adj} ${noun}`,
    () => `${noun} of ${pick(rng, PLACES)}`,
    () => `${adj} ${plural(noun)}`,
    () => (singular ? `${article(noun)} ${noun} ${pick(rng, TIMES)}` : `${noun} ${pick(rng, TIMES)}`),
    () => `${pick(rng, VERBS)} the ${noun}`,
    () => `${pick(rng, PREPOSITIONS)} the ${adj} ${noun}`,
    () => `The Last ${noun}`,
    () => `${pick(rng, NUMBERS)} ${plural(noun)}`,
    () => `${pick(rng, PLACES).replace(/^the /, 'The ')}`,
    () => `${noun}`,
    () => `Nights in ${pick(rng, PLACES)}`,
    () => `The ${noun} at ${pick(rng, PLACES)}`,
  ]
  return pick(rng, forms)()
}

const PEOPLE: Record<GenreId, string[]> = {
  drama: [
    'a retired lighthouse keeper',
    '+two estranged sisters',
    'a widowed schoolteacher',
    'a young cellist',
    'a night nurse',
    '+three grown-up brothers',
  ],
  comedy: [
    'a hopeless wedding planner',
    '+three flatmates',
    'an overconfident baker',
    'a substitute teacher',
    '+two rival dentists',
  ],
  thriller: [
    'a night-shift radio engineer',
    'a disgraced analyst',
    'a courier',
    'an air-traffic controller',
    'a hotel receptionist',
  ],
  'science-fiction': [
    '+the last crew of a survey ship',
    'a colony botanist',
    'a maintenance android',
    'a signals linguist',
  ],
  romance: [
    '+a translator and a ferry captain',
    '+two rival florists',
    '+a violinist and a chef',
    '+old pen pals',
  ],
  documentary: ['+a team of field biologists', '+two glassblowers', '+free divers', '+volunteer rangers'],
  animation: ['a lantern-maker’s apprentice', 'a small fox', 'a lonely robot', 'a shy hedgehog'],
  crime: [
    'a tired detective',
    'a bookkeeper for the wrong people',
    'a getaway driver',
    'a young prosecutor',
    '+two cousins',
  ],
  fantasy: [
    'a reluctant heir',
    'an apprentice cartographer',
    'a knight without a sword',
    'a witch’s daughter',
  ],
  mystery: [
    'an amateur sleuth',
    'a village doctor',
    'a crossword setter',
    'a retired inspector',
    'a museum night guard',
  ],
  family: ['+three siblings', '+a grandfather and his granddaughter', 'a scout troop', '+a boy and his dog'],
  adventure: ['+two mapmakers', 'a disgraced mountaineer', 'a river pilot', '+two old friends'],
}

const EVENTS: Record<GenreId, string[]> = {
  drama: [
    'return home for one last summer',
    'rebuild a boat their father never finished',
    'care for a parent who no longer remembers them',
    'run a small-town cinema in its final year',
    'inherit a house full of unanswered letters',
    'try to keep a family restaurant open',
  ],
  comedy: [
    'fake a wedding to save a bakery',
    'enter a baking contest nobody asked them to',
    'inherit a goat and a failing campsite',
    'plan a surprise party that keeps getting bigger',
    'swap jobs for a week',
    'win a village talent show by accident',
  ],
  thriller: [
    'intercept a message nobody was meant to hear',
    'find a second passport in a dead man’s coat',
    'hear a voice on a line that was cut years ago',
    'uncover a pattern in a string of small accidents',
    'have forty-eight hours to clear a name',
    'notice the same stranger on every train',
  ],
  'science-fiction': [
    'wake decades early on a ship far from home',
    'teach a machine what a garden is',
    'repair a relay at the edge of the solar system',
    'receive letters from their own future',
    'pick up a signal from a planet that should be silent',
    'discover the colony’s archive has been rewritten',
  ],
  romance: [
    'keep meeting by chance in the same bookshop',
    'share a flat through a clerical error',
    'plan a wedding that is not their own',
    'spend one long night walking a city they both love',
    'trade letters across a summer',
    'fall for each other while pretending not to',
  ],
  documentary: [
    'follow a river from source to sea',
    'track whales along a coast that is warming',
    'listen to the sounds of a forest at night',
    'document a city rebuilding after a flood',
    'spend a year keeping an old craft alive',
    'chart what is changing in the far north',
  ],
  animation: [
    'set out to bring the sun back to a grey town',
    'try to catch the moon in a butterfly net',
    'open a tea shop for creatures of the forest',
    'sail a teacup across a very large pond',
    'build a friend out of spare parts',
    'follow a map drawn on a paper crane',
  ],
  crime: [
    'plan one last job in a city that knows their faces',
    'launder money through a seaside funfair',
    'testify against the family that raised them',
    'chase a forger across three borders',
    'find the numbers in a ledger do not add up',
    'reopen a case everyone wants to stay closed',
  ],
  fantasy: [
    'must return a stolen crown before the winter moon',
    'learn to speak with the oldest tree in the kingdom',
    'guard a bridge between two quarrelling realms',
    'carry a spell that can be used only once',
    'find a door in the forest that was not there yesterday',
    'break an oath sworn by their grandmother',
  ],
  mystery: [
    'investigate a disappearance at a seaside manor',
    'solve a theft aboard an overnight train',
    'decode a will written as a riddle',
    'look into a murder at a village flower show',
    'find a portrait that changes overnight',
    'follow a trail of clues hidden in a diary',
  ],
  family: [
    'build the best treehouse the street has ever seen',
    'run the school fête when the grown-ups fall ill',
    'help a baby owl find its way home',
    'go camping with a very unusual tent',
    'rescue a circus stranded by a storm',
    'spend a summer looking for a lost puppy',
  ],
  adventure: [
    'cross a mountain range no map agrees on',
    'sail a hand-built raft around the cape',
    'search the desert for a lost observatory',
    'cycle the length of a continent',
    'race to find a ship lost in the ice',
    'follow a river into uncharted country',
  ],
}

const CODAS: Record<GenreId, string[]> = {
  drama: ['A tender portrait of what families keep and what they let go.', 'Quiet, patient and deeply felt.'],
  comedy: ['Warm, silly and sharper than it looks.', 'Nothing goes to plan, and that is the point.'],
  thriller: ['Every hour counts, and nobody can be trusted.', 'Taut and relentless to the last minute.'],
  'science-fiction': ['An intimate story on a very large canvas.', 'Hope, memory and the cost of going far.'],
  romance: ['A love story about timing and second chances.', 'Charming, bittersweet and full of music.'],
  documentary: ['Filmed over several seasons with patience and care.', 'Beautiful, urgent and often funny.'],
  animation: ['Hand-drawn warmth for every age.', 'A small story with a very big heart.'],
  crime: ['Nobody walks away clean.', 'A slow-burning tale of loyalty and debt.'],
  fantasy: ['Old magic has a long memory.', 'A fable of courage, loss and unlikely friendship.'],
  mystery: ['Nothing in the house is quite what it seems.', 'A puzzle with a heart.'],
  family: ['Made for watching together.', 'Big laughs and bigger hugs.'],
  adventure: ['The journey changes them more than the destination.', 'Spectacular, dangerous and alive.'],
}

/** The verb for a singular subject: "find" → "finds", "have" → "has", "must" stays. */
function thirdPerson(phrase: string): string {
  const [verb = '', ...rest] = phrase.split(' ')
  const conjugated =
    verb === 'must'
      ? verb
      : verb === 'have'
        ? 'has'
        : /(s|sh|ch|x)$/.test(verb)
          ? `${verb}es`
          : /[^aeiou]y$/.test(verb)
            ? `${verb.slice(0, -1)}ies`
            : `${verb}s`
  return [conjugated, ...rest].join(' ')
}

/** Genres whose stories happen nowhere in particular (or far away): no town in the synopsis. */
const PLACELESS: GenreId[] = ['science-fiction', 'documentary', 'fantasy', 'adventure']

function makeSynopsis(rng: Rng, genre: GenreId, kind: 'film' | 'series'): string {
  const person = pick(rng, PEOPLE[genre])
  const isPlural = person.startsWith('+')
  const who = isPlural ? person.slice(1) : person
  const event = pick(rng, EVENTS[genre])
  const what = isPlural ? event : thirdPerson(event)
  const opening = kind === 'series' && rng() < 0.5 ? 'Over one unforgettable year, ' : ''
  const place = !PLACELESS.includes(genre) && rng() < 0.6 ? ` in ${pick(rng, PLACES)}` : ''
  const sentence = `${opening}${who}${place} ${what}.`
  const first = sentence.charAt(0).toUpperCase() + sentence.slice(1)
  return rng() < 0.7 ? `${first} ${pick(rng, CODAS[genre])}` : first
}

const SECONDARY: Record<GenreId, GenreId[]> = {
  drama: ['romance', 'crime', 'family', 'mystery'],
  comedy: ['romance', 'family', 'drama', 'adventure'],
  thriller: ['crime', 'mystery', 'science-fiction', 'drama'],
  'science-fiction': ['adventure', 'thriller', 'drama', 'mystery'],
  romance: ['drama', 'comedy'],
  documentary: ['adventure', 'drama'],
  animation: ['family', 'fantasy', 'comedy', 'adventure'],
  crime: ['thriller', 'drama', 'mystery'],
  fantasy: ['adventure', 'family', 'drama'],
  mystery: ['crime', 'thriller', 'drama'],
  family: ['comedy', 'adventure', 'animation'],
  adventure: ['fantasy', 'family', 'science-fiction', 'drama'],
}

/** ASCII, lowercase, hyphenated: safe in a URL path and a file name. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
}

export const CATALOG_SIZE = 216
const SEED = 0x6d617271 // "marq"

/** The shipped catalogue: CATALOG_SIZE titles with unique names and ids, the same on every call. */
export function generateCatalog(): CatalogTitle[] {
  const rng = seededRandom(SEED)
  const names = new Set<string>()
  const titles: CatalogTitle[] = []
  for (let i = 0; i < CATALOG_SIZE; i++) {
    const primary = GENRES[i % GENRES.length]!.id
    const kind: 'film' | 'series' = rng() < (primary === 'documentary' ? 0.45 : 0.28) ? 'series' : 'film'
    let name = makeName(rng, primary)
    while (names.has(name.toLowerCase()) || names.has(slugify(name))) name = makeName(rng, primary)
    names.add(name.toLowerCase())
    names.add(slugify(name))
    const genres: GenreId[] = [primary]
    const extra = rng() < 0.35 ? 0 : rng() < 0.7 ? 1 : 2
    for (let k = 0; k < extra; k++) {
      const g = pick(rng, SECONDARY[primary])
      if (!genres.includes(g)) genres.push(g)
    }
    // Mostly recent, with a long tail of older titles.
    const year = rng() < 0.75 ? between(rng, 2005, 2026) : between(rng, 1968, 2004)
    const runtimeMinutes =
      kind === 'series'
        ? pick(rng, [24, 28, 30, 42, 45, 48, 52, 55, 58])
        : primary === 'animation' || primary === 'family'
          ? between(rng, 78, 104)
          : primary === 'documentary'
            ? between(rng, 72, 112)
            : between(rng, 86, 158)
    titles.push({
      id: slugify(name),
      name,
      year,
      runtimeMinutes,
      genres,
      synopsis: makeSynopsis(rng, primary, kind),
      kind,
      seasons: kind === 'series' ? between(rng, 1, 6) : null,
    })
  }
  return titles
}

/** A fingerprint of the generated catalogue, checked by the migration that ships it. */
export function catalogChecksum(titles: CatalogTitle[] = generateCatalog()): string {
  return createHash('sha256').update(JSON.stringify(titles)).digest('hex').slice(0, 16)
}
