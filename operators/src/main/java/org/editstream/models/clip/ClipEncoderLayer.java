package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.function.UnaryOperator;

/**
 * One pre-norm transformer layer of CLIP's text and vision towers (Hugging Face names): self-attention with
 * biased projections, then an MLP, each behind a layer norm and a residual.
 */
final class ClipEncoderLayer {
    private final LayerNorm norm1;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear out;
    private final LayerNorm norm2;
    private final Linear fc1;
    private final Linear fc2;
    private final int heads;
    private final UnaryOperator<NDArray> act;

    ClipEncoderLayer(Parameters p, long hidden, long intermediate, int heads, double eps, UnaryOperator<NDArray> act) {
        this.norm1 = new LayerNorm(p.child("layer_norm1"), hidden, eps);
        Parameters attn = p.child("self_attn");
        this.q = new Linear(attn.child("q_proj"), hidden, hidden, true);
        this.k = new Linear(attn.child("k_proj"), hidden, hidden, true);
        this.v = new Linear(attn.child("v_proj"), hidden, hidden, true);
        this.out = new Linear(attn.child("out_proj"), hidden, hidden, true);
        this.norm2 = new LayerNorm(p.child("layer_norm2"), hidden, eps);
        this.fc1 = new Linear(p.child("mlp").child("fc1"), hidden, intermediate, true);
        this.fc2 = new Linear(p.child("mlp").child("fc2"), intermediate, hidden, true);
        this.heads = heads;
        this.act = act;
    }

    /** @param mask additive attention mask (the text tower's causal mask), or null */
    NDArray forward(NDArray x, NDArray mask) {
        NDArray n = norm1.forward(x);
        x = x.add(out.forward(Attention.attend(q.forward(n), k.forward(n), v.forward(n), heads, mask, null)));
        return x.add(fc2.forward(fc1.forward(norm2.forward(x), act)));
    }
}
