package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

import java.util.List;

/**
 * Several Prompt-to-Prompt generations in one UNet batch, each under its own controller. The latents are
 * [S_1, T_1, ..., S_K, T_K] and the guided UNet batch is their unconditional half then their conditional half,
 * [uncond_S_1, uncond_T_1, ..., uncond_S_K, uncond_T_K, cond_S_1, cond_T_1, ..., cond_S_K, cond_T_K]. Each
 * controller edits its own cond_T row from its own cond_S row and blends its own latents, as if it ran alone.
 */
public final class PromptToPromptBatch implements UNetHooks {
    private final List<PromptToPrompt> controllers;

    public PromptToPromptBatch(List<PromptToPrompt> controllers) {
        if (controllers.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one controller");
        }
        this.controllers = List.copyOf(controllers);
    }

    /** The hooks of {@code controllers} over one batch (the controller itself when there is one). */
    public static UNetHooks of(List<PromptToPrompt> controllers) {
        return controllers.size() == 1 ? controllers.get(0) : new PromptToPromptBatch(controllers);
    }

    @Override
    public void beginStep(int index, long timestep) {
        controllers.forEach(c -> c.beginStep(index, timestep));
    }

    @Override
    public boolean readsProbabilities(AttentionSite site) {
        return controllers.stream().anyMatch(c -> c.readsProbabilities(site));
    }

    /** Each controller edits its own cond_T row in place, from its own cond_S row. */
    @Override
    public NDArray probabilities(AttentionSite site, NDArray p) {
        int k = controllers.size();
        if (p.getShape().get(0) != 4L * k) {
            throw new IllegalStateException(k + " attention-controlled pairs need a batch of " + 4 * k + " rows, got "
                    + p.getShape());
        }
        for (int i = 0; i < k; i++) {
            long source = 2L * k + 2L * i;
            NDArray edited = controllers.get(i).editedTarget(site, p.get(source), p.get(source + 1));
            if (edited != null) {
                p.set(new NDIndex(source + 1), edited);
            }
        }
        return p;
    }

    /** Each controller blends its own [S_i, T_i] rows. */
    @Override
    public NDArray endStep(int index, NDArray latents) {
        int k = controllers.size();
        NDList out = new NDList(k);
        for (int i = 0; i < k; i++) {
            out.add(controllers.get(i).endStep(index, latents.get(2 * i + ":" + (2 * i + 2))));
        }
        return NDArrays.concat(out, 0);
    }
}
