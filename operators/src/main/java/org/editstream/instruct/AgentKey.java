package org.editstream.instruct;

/** The keys of a task agent's JSON answer. */
public enum AgentKey {
    INSTRUCTION("instruction", 300),
    OUTPUT_CAPTION("output_caption", 500),
    ORIGINAL_OBJECT("original_object", 80),
    EDITED_OBJECT("edited_object", 80);

    private final String json;
    private final int maxChars;

    AgentKey(String json, int maxChars) {
        this.json = json;
        this.maxChars = maxChars;
    }

    /** The key as it appears in the JSON answer. */
    public String json() {
        return json;
    }

    /** Longest accepted value: longer answers are rambling, not instructions or captions. */
    public int maxChars() {
        return maxChars;
    }

    public static AgentKey byJson(String name) {
        for (AgentKey key : values()) {
            if (key.json.equals(name)) {
                return key;
            }
        }
        throw new IllegalArgumentException("no agent key '" + name + "'; known: instruction, output_caption, "
                + "original_object, edited_object");
    }
}
