// Subjects and message bodies that read like support mail, built from the word lists in vocabulary.ts.
import type { Rng } from './random.ts';
import {
  ASKS,
  CLIENT_FOLLOWUPS,
  CLOSINGS,
  ENVIRONMENTS,
  GENERAL,
  GREETINGS,
  IMPACT,
  NOTES,
  PLANS,
  PROBLEMS,
  RARE,
  RARE_TEMPLATES,
  STAFF_BODIES,
  STAFF_OPENERS,
  TOPICS,
  TRIED,
  VERBS,
  WHEN,
} from './vocabulary.ts';

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const capName = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function topicsFor(category: string | null): readonly string[] {
  return (category && TOPICS[category]) || GENERAL;
}

function reference(rng: Rng): string {
  switch (rng.int(4)) {
    case 0:
      return `order ${rng.range(100000, 999999)}`;
    case 1:
      return `invoice INV-${rng.range(2023, 2026)}-${String(rng.int(100000)).padStart(5, '0')}`;
    case 2:
      return `error code E${rng.range(1000, 9999)}`;
    default:
      return `request ID ${rng.int(0xffffffff).toString(16).padStart(8, '0')}`;
  }
}

function rareSentence(rng: Rng): string {
  return rng.pick(RARE_TEMPLATES)(rng.pick(RARE));
}

export function subject(rng: Rng, topics: readonly string[]): string {
  const topic = rng.skewed(topics, 1.6);
  switch (rng.int(10)) {
    case 0:
      return `Cannot ${rng.skewed(VERBS)} ${topic}`;
    case 1:
      return `Question about ${topic}`;
    case 2:
      return `${cap(topic)} not working on ${rng.skewed(ENVIRONMENTS)}`;
    case 3:
      return `${cap(topic)} ${rng.skewed(PROBLEMS)} ${rng.skewed(WHEN)}`;
    case 4:
      return `Problem with ${topic} (${reference(rng)})`;
    case 5:
      return `Urgent: ${topic} ${rng.skewed(PROBLEMS)}`;
    case 6:
      return `How do I ${rng.skewed(VERBS)} the ${topic}?`;
    case 7:
      return `${cap(topic)} on the ${rng.pick(PLANS)} plan`;
    default:
      return `${cap(topic)} ${rng.skewed(PROBLEMS)}`;
  }
}

function problemSentence(rng: Rng, topic: string): string {
  switch (rng.int(5)) {
    case 0:
      return `When I try to ${rng.skewed(VERBS)} the ${topic}, it ${rng.skewed(PROBLEMS)}.`;
    case 1:
      return `The ${topic} ${rng.skewed(PROBLEMS)} ${rng.skewed(WHEN)}.`;
    case 2:
      return `I cannot ${rng.skewed(VERBS)} our ${topic} any more; it ${rng.skewed(PROBLEMS)}.`;
    case 3:
      return `We are on the ${rng.pick(PLANS)} plan and the ${topic} ${rng.skewed(PROBLEMS)} on ${rng.skewed(ENVIRONMENTS)}.`;
    default:
      return `I have a question about the ${topic}: how do I ${rng.skewed(VERBS)} it for the whole team?`;
  }
}

export function firstMessage(rng: Rng, topics: readonly string[], clientFirst: string): string {
  const topic = rng.skewed(topics, 1.6);
  const parts = [`${rng.skewed(GREETINGS)},`, '', problemSentence(rng, topic)];
  if (rng.chance(0.6)) {
    parts.push(rng.pick(TRIED));
  }
  if (rng.chance(0.4)) {
    parts.push(`This is about ${reference(rng)}.`);
  }
  if (rng.chance(0.5)) {
    parts.push(`I am using ${rng.skewed(ENVIRONMENTS)}.`);
  }
  if (rng.chance(0.5)) {
    parts.push(rng.pick(IMPACT));
  }
  if (rng.chance(0.04)) {
    parts.push(rareSentence(rng));
  }
  if (rng.chance(0.35)) {
    parts.push(`It started ${rng.skewed(WHEN)}, and the ${rng.skewed(topics, 1.6)} ${rng.skewed(PROBLEMS)} as well.`);
  }
  if (rng.chance(0.25)) {
    parts.push(
      `Steps: I go to the ${topic} page, click ${rng.skewed(VERBS)}, and after a few seconds it ${rng.skewed(PROBLEMS)}.`,
    );
  }
  parts.push(rng.pick(ASKS), '', `${rng.skewed(CLOSINGS)},`, capName(clientFirst));
  return joinParagraphs(parts);
}

export function staffReply(rng: Rng, topics: readonly string[], clientFirst: string, agentFirst: string): string {
  const parts = [`Hi ${capName(clientFirst)},`, '', rng.skewed(STAFF_OPENERS)];
  parts.push(rng.pick(STAFF_BODIES));
  if (rng.chance(0.35)) {
    parts.push(rng.pick(STAFF_BODIES));
  }
  if (rng.chance(0.2)) {
    parts.push(`More about the ${rng.skewed(topics, 1.6)} is in our help centre.`);
  }
  if (rng.chance(0.02)) {
    parts.push(rareSentence(rng));
  }
  parts.push('', `${rng.skewed(CLOSINGS)},`, `${capName(agentFirst)} from Support`);
  return joinParagraphs(parts);
}

export function clientFollowup(rng: Rng, topics: readonly string[], clientFirst: string): string {
  const parts = [rng.pick(CLIENT_FOLLOWUPS)];
  if (rng.chance(0.5)) {
    parts.push(problemSentence(rng, rng.skewed(topics, 1.6)));
  }
  if (rng.chance(0.15)) {
    parts.push(`See ${reference(rng)}.`);
  }
  if (rng.chance(0.03)) {
    parts.push(rareSentence(rng));
  }
  parts.push('', `${rng.skewed(CLOSINGS)},`, capName(clientFirst));
  return joinParagraphs(parts);
}

export function internalNote(rng: Rng): string {
  const note = rng.pick(NOTES);
  return rng.chance(0.3) ? `${note} See ${reference(rng)}.` : note;
}

/** Sentences on one line, an empty string starts a new paragraph. */
function joinParagraphs(parts: string[]): string {
  let out = '';
  let newParagraph = false;
  for (const part of parts) {
    if (part === '') {
      newParagraph = true;
      continue;
    }
    if (out === '') {
      out = part;
    } else if (newParagraph || out.endsWith(',')) {
      out += `${newParagraph ? '\n\n' : '\n'}${part}`;
    } else {
      out += ` ${part}`;
    }
    newParagraph = false;
  }
  return out;
}
