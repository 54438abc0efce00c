// Harness for test_js_agreement.py: reads cases as JSON on stdin, answers with what the
// field app's rules.js makes of them. No logic of its own.
import { readFileSync } from "node:fs";
import { fails, findings, hazardId, verdict } from "../../static/pwa/js/rules.js";

const input = JSON.parse(readFileSync(0, "utf8"));
const defs = input.definitions;
const out = {
  fails: input.cases.map(([d, i, value]) => fails(defs[d].items[i], value)),
  findings: input.answer_sets.map((s) => findings(defs[s.definition], s.answers, s.inspection_id, s.site_kind)),
  verdicts: input.cases.map(([d, i, value]) => verdict(defs[d].items[i], value)),
  hazard_ids: input.hazard_ids.map(([inspection, code]) => hazardId(inspection, code)),
};
process.stdout.write(JSON.stringify(out));
