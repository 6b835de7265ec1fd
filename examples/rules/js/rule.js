// deprecations-js: a classifier written in JavaScript.
//
// It reads one job's output and reports the deprecation warnings it printed,
// pointing at the first: the same rule `augur new --kind classifier` writes
// in Rust, so that the two can be compared (see README.md).
//
// Built into a WebAssembly component with componentize-js, against the
// `classifier-rule` world of augur's WIT contract (`build.sh`). WIT records
// are objects with camelCase fields, enums are strings, and throwing a
// `rule-error` variant ({tag, val}) makes the call return `err`.

const ID = "deprecations-js";
const KIND = "deprecation/warning";
// How many characters of a line a finding quotes (as augur_sdk::excerpt).
const EXCERPT_CHARS = 300;

const CONFIG_SCHEMA = JSON.stringify({
  title: "Config",
  type: "object",
  properties: {
    min_warnings: {
      description: "Deprecation warnings from which the job is reported.",
      type: "integer",
      minimum: 0,
      default: 1,
    },
  },
  additionalProperties: false,
});

const invalidConfig = (message) => ({ tag: "invalid-config", val: message });

// The `min_warnings` of the rule's config (a JSON object as text).
function minWarnings(config) {
  let doc = {};
  if (config.trim() !== "") {
    try {
      doc = JSON.parse(config);
    } catch (e) {
      throw invalidConfig(`the config is not JSON: ${e.message}`);
    }
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw invalidConfig("the config must be a table");
  }
  const unknown = Object.keys(doc).filter((k) => k !== "min_warnings").sort();
  if (unknown.length > 0) {
    throw invalidConfig(`unknown field \`${unknown[0]}\`, expected \`min_warnings\``);
  }
  const value = doc.min_warnings ?? 1;
  if (!Number.isInteger(value) || value < 0) {
    throw invalidConfig("min_warnings: expected a whole number of at least 0");
  }
  return value;
}

// FNV-1a over the parts' UTF-8 bytes, each ended by 0x1f:
// augur_sdk::fingerprint.
function fingerprint(...parts) {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  const encoder = new TextEncoder();
  for (const part of parts) {
    for (const byte of [...encoder.encode(part), 0x1f]) {
      h = ((h ^ BigInt(byte)) * 0x100000001b3n) & mask;
    }
  }
  return h.toString(16).padStart(16, "0");
}

// The log's lines as augur numbers them (Rust's `str::lines`): split on \n,
// a \r before it dropped, no empty last line.
function lines(text) {
  const out = text.split("\n");
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

// Trimmed, and cut after EXCERPT_CHARS characters (code points).
function excerpt(line) {
  const chars = Array.from(line.trim());
  return chars.length <= EXCERPT_CHARS
    ? chars.join("")
    : chars.slice(0, EXCERPT_CHARS).join("") + "\u2026";
}

export const rule = {
  info() {
    return {
      id: ID,
      version: "0.1.0",
      description: "Finds deprecation warnings in a job's output (a rule in JavaScript)",
      kinds: [KIND],
      configSchema: CONFIG_SCHEMA,
    };
  },
};

export const classifier = {
  classify(job, config) {
    const wanted = Math.max(minWarnings(config), 1);
    const warnings = [];
    lines(job.text).forEach((line, i) => {
      if (line.toLowerCase().includes("deprecat")) warnings.push([job.firstLine + i, line]);
    });
    if (warnings.length < wanted) return [];
    const [first, text] = warnings[0];
    const count = warnings.length;
    return [
      {
        kind: KIND,
        severity: "low",
        title: "The job uses deprecated features",
        message: `${count} deprecation warning${count === 1 ? "" : "s"} in ${job.source}; the first at line ${first}`,
        fingerprint: fingerprint(ID, KIND, text.trim()),
        evidence: [{ source: job.source, locator: `L${first}`, excerpt: excerpt(text) }],
        actions: ["Move off the deprecated feature before it is removed"],
        data: "{}",
      },
    ];
  },
};
