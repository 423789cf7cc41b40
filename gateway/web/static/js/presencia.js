// An asesor's presence (issue 13) as both views show it: its label and its chip.

import { el } from "./common.js";

export const PRESENCIA_LABEL = { disponible: "Disponible", en_pausa: "En pausa", desconectado: "Desconectado" };

/** The chip of a presence ("disponible", "en_pausa", "desconectado"). */
export function presenceChip(presencia) {
  return el("span", { class: `chip chip-presencia chip-${presencia}`, dataset: { presencia } },
    PRESENCIA_LABEL[presencia] || presencia);
}
