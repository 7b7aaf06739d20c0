package org.editstream.perception;

import org.editstream.instruct.AgentExample;
import org.editstream.instruct.Agents;
import org.editstream.instruct.TaskAgent;
import org.editstream.schema.Task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Emu Edit's task predictor, few-shot: which task an instruction asks for, by sentence-embedding similarity to
 * the instruction examples of each task's agent (every example with every verb of its task). Embeddings are
 * centred on the mean of all examples before the cosine, which takes out what every edit instruction shares and
 * leaves more of what tells tasks apart. A task's score is the mean cosine of its {@link #NEIGHBOURS} most
 * similar examples; the prediction is the best-scoring task.
 * <p>
 * The two choices (k = 30, centring) were made by leave-one-example-out over the examples (k in 3..30, with and
 * without centring: 84% at k = 30 centred, 65% at k = 3 plain), before measuring the held-out instructions.
 */
public final class TaskPredictor {
    /** Examples per task that vote (mean of the top k cosines): the task's wording, not one look-alike noun. */
    public static final int NEIGHBOURS = 30;

    /** A prediction: the task, every task's score, and how far the winner is ahead of the runner-up. */
    public record Prediction(Task task, Map<Task, Double> scores) {
        public double score(Task t) {
            return scores.get(t);
        }

        /** Score of the predicted task minus the best other task's. */
        public double margin() {
            double second = scores.entrySet().stream().filter(e -> e.getKey() != task)
                    .mapToDouble(Map.Entry::getValue).max().orElse(0);
            return score(task) - second;
        }
    }

    private final SentenceEmbedder embedder;
    private final Map<Task, float[][]> examples;
    private final float[] centre;

    public TaskPredictor(SentenceEmbedder embedder, Map<Task, List<String>> instructions) {
        this.embedder = embedder;
        Map<Task, float[][]> raw = new EnumMap<>(Task.class);
        instructions.forEach((task, list) -> {
            if (list.isEmpty()) {
                throw new IllegalArgumentException("no example instructions for task " + task);
            }
            raw.put(task, embedder.embed(list));
        });
        this.centre = mean(raw.values());
        this.examples = new EnumMap<>(Task.class);
        raw.forEach((task, vectors) -> examples.put(task, Arrays.stream(vectors).map(this::centred).toArray(float[][]::new)));
    }

    /** A predictor over the bundled agents' examples. */
    public static TaskPredictor fromAgents(SentenceEmbedder embedder, Agents agents) {
        return new TaskPredictor(embedder, exampleInstructions(agents));
    }

    /** Every example instruction of every task, with each verb of its task. */
    public static Map<Task, List<String>> exampleInstructions(Agents agents) {
        Map<Task, List<String>> out = new EnumMap<>(Task.class);
        for (Task task : Task.values()) {
            TaskAgent agent = agents.agent(task);
            List<String> list = new ArrayList<>();
            for (AgentExample e : agent.examples()) {
                for (String verb : agent.verbs()) {
                    list.add(e.instructionWith(verb));
                }
            }
            out.put(task, List.copyOf(list));
        }
        return out;
    }

    public String embedderId() {
        return embedder.id();
    }

    public Prediction predict(String instruction) {
        return predictAll(List.of(instruction)).get(0);
    }

    public List<Prediction> predictAll(List<String> instructions) {
        float[][] queries = embedder.embed(instructions);
        List<Prediction> out = new ArrayList<>(queries.length);
        for (float[] raw : queries) {
            float[] q = centred(raw);
            Map<Task, Double> scores = new EnumMap<>(Task.class);
            Task best = null;
            for (Map.Entry<Task, float[][]> e : examples.entrySet()) {
                double s = topMean(q, e.getValue());
                scores.put(e.getKey(), s);
                if (best == null || s > scores.get(best)) {
                    best = e.getKey();
                }
            }
            out.add(new Prediction(best, Collections.unmodifiableMap(scores)));
        }
        return out;
    }

    /** The vector minus the examples' mean, at unit length. */
    private float[] centred(float[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] - centre[i];
        }
        return MiniLmSentences.unit(out);
    }

    private static float[] mean(Iterable<float[][]> groups) {
        double[] sum = null;
        int n = 0;
        for (float[][] group : groups) {
            for (float[] v : group) {
                if (sum == null) {
                    sum = new double[v.length];
                }
                for (int i = 0; i < v.length; i++) {
                    sum[i] += v[i];
                }
                n++;
            }
        }
        float[] out = new float[sum.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (sum[i] / n);
        }
        return out;
    }

    private static double topMean(float[] q, float[][] vectors) {
        double[] cos = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            double dot = 0;
            for (int j = 0; j < q.length; j++) {
                dot += q[j] * (double) vectors[i][j];
            }
            cos[i] = dot;
        }
        Arrays.sort(cos);
        int k = Math.min(NEIGHBOURS, cos.length);
        double sum = 0;
        for (int i = 0; i < k; i++) {
            sum += cos[cos.length - 1 - i];
        }
        return sum / k;
    }
}
