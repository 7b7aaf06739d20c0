package org.editstream.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;
import org.editstream.tasks.TaskCatalogue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The 16 task agents and the object-name prompt, read from the resources under
 * {@code org/editstream/instruct/agents/}: {@code agents.json} (shared texts), one {@code <task>.json} per task
 * (introduction, keys, verbs, examples) and {@code object-names.json}. Their version (a name plus a hash of
 * every file) goes into each sample's lineage, so a dataset says which prompts wrote it.
 */
public final class Agents {
    /** Bumped by hand when the prompts change meaning; the hash catches every other edit. */
    public static final String NAME = "agents-1";
    /** Fewer examples than this cannot give a 60% sample that varies between requests. */
    public static final int MIN_EXAMPLES = 12;
    private static final String FOLDER = "/org/editstream/instruct/agents/";
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static volatile Agents bundled;

    private final AgentTexts texts;
    private final Map<Task, TaskAgent> agents;
    private final ObjectNames.Prompt objectNames;
    private final String version;

    private Agents(AgentTexts texts, Map<Task, TaskAgent> agents, ObjectNames.Prompt objectNames, String version) {
        this.texts = texts;
        this.agents = agents;
        this.objectNames = objectNames;
        this.version = version;
    }

    /** The agents shipped with this build (read once per JVM). */
    public static Agents bundled() {
        Agents a = bundled;
        if (a == null) {
            synchronized (Agents.class) {
                if (bundled == null) {
                    bundled = load();
                }
                a = bundled;
            }
        }
        return a;
    }

    private record TaskFile(@JsonProperty("introduction") String introduction, @JsonProperty("keys") List<String> keys,
                            @JsonProperty("verbs") List<String> verbs, @JsonProperty("examples") List<AgentExample> examples) {
    }

    private static Agents load() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] shared = read("agents.json");
        all.writeBytes(shared);
        AgentTexts texts = parse(shared, AgentTexts.class, "agents.json");
        Map<Task, TaskAgent> agents = new EnumMap<>(Task.class);
        for (Task task : Task.values()) {
            String file = TaskCatalogue.nameOf(task) + ".json";
            byte[] bytes = read(file);
            all.writeBytes(bytes);
            TaskFile f = parse(bytes, TaskFile.class, file);
            Set<AgentKey> keys = new LinkedHashSet<>();
            f.keys().forEach(k -> keys.add(AgentKey.byJson(k)));
            if (f.examples().size() < MIN_EXAMPLES) {
                throw new IllegalStateException(file + " has " + f.examples().size() + " examples; at least "
                        + MIN_EXAMPLES + " are needed");
            }
            agents.put(task, new TaskAgent(task, f.introduction(), Set.copyOf(keys), List.copyOf(f.verbs()),
                    List.copyOf(f.examples())));
        }
        byte[] names = read("object-names.json");
        all.writeBytes(names);
        ObjectNames.Prompt objectNames = parse(names, ObjectNames.Prompt.class, "object-names.json");
        String hash = Seeds.sha256Hex(all.toByteArray()).substring(0, 10);
        return new Agents(texts, agents, objectNames, NAME + "+" + hash);
    }

    public TaskAgent agent(Task task) {
        return agents.get(task);
    }

    public AgentTexts texts() {
        return texts;
    }

    public ObjectNames.Prompt objectNames() {
        return objectNames;
    }

    /** Name and content hash of the prompts, e.g. {@code agents-1+3fa2b9c1d0}. */
    public String version() {
        return version;
    }

    private static byte[] read(String file) {
        try (InputStream in = Agents.class.getResourceAsStream(FOLDER + file)) {
            if (in == null) {
                throw new IllegalStateException("agent resource " + FOLDER + file + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T parse(byte[] bytes, Class<T> type, String file) {
        try {
            return JSON.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalStateException("agent resource " + file + " is malformed: " + e.getMessage(), e);
        }
    }
}
