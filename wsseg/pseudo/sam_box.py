"""Baseline SAM pseudo-labeller: SAM prompted by each box alone, no fine-tune."""
from __future__ import annotations

from wsseg.pseudo.sam_logic import SamLogicPseudoLabeller
from wsseg.registry import PSEUDO_LABELLERS


@PSEUDO_LABELLERS.register_module()
class SamBoxPseudoLabeller(SamLogicPseudoLabeller):
    """Baseline: SAM prompted by each box alone (no points, no fine-tune), same assembly."""

    def __init__(self, sam: dict, num_classes: int, background_index: int | None = 0,
                 keep_weak: bool = False, **kwargs):
        kwargs.update(finetune_epochs=0, box_pos_points=0, box_neg_points=0, scribble_prompts=False)
        super().__init__(sam, num_classes, background_index=background_index,
                         keep_weak=keep_weak, **kwargs)
