package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * Several Prompt-to-Prompt generations in one UNet batch, each under its own controller. The latents are
 * [S_1, T_1, ..., S_K, T_K] and the guided UNet batch is their unconditional half then their conditional half,
 * [uncond_S_1, uncond_T_1, ..., uncond_S_K, uncond_T_K, cond_S_1, cond_T_1, ..., cond_S_K, cond_T_K]. Each
 * controller sees exactly the [uncond_S, uncond_T, cond_S, cond_T] rows of its own pair, as if it ran alone.
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

    @Override
    public NDArray probabilities(AttentionSite site, NDArray p) {
        int k = controllers.size();
        if (p.getShape().get(0) != 4L * k) {
            throw new IllegalStateException(k + " attention-controlled pairs need a batch of " + 4 * k + " rows, got "
                    + p.getShape());
        }
        NDManager m = p.getManager();
        List<NDArray> edited = new ArrayList<>(k);
        boolean changed = false;
        for (int i = 0; i < k; i++) {
            long[] rows = {2L * i, 2L * i + 1, 2L * k + 2L * i, 2L * k + 2L * i + 1};
            NDArray own = p.get(new NDIndex("{}", m.create(rows)));
            NDArray out = controllers.get(i).probabilities(site, own);
            changed |= out != own;
            edited.add(out);
        }
        if (!changed) {
            return p;
        }
        NDList halves = new NDList(2 * k);
        for (NDArray e : edited) {
            halves.add(e.get("0:2"));
        }
        for (NDArray e : edited) {
            halves.add(e.get("2:4"));
        }
        return NDArrays.concat(halves, 0);
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
