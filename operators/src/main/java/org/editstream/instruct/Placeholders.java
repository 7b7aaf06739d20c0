package org.editstream.instruct;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Instructions may name things only the recipe learns (the text OCR found, say) as {name} placeholders;
 * the recipe reports them as facts and the placeholders are filled before the sample leaves.
 */
public final class Placeholders {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");

    private Placeholders() {
    }

    public static String fill(String text, Map<String, String> facts) throws Refusal {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = facts.get(m.group(1));
            if (value == null) {
                throw new Refusal(Reason.RECIPE_FAILED, "instruction '" + text + "' needs {" + m.group(1)
                        + "} but the recipe reported only " + facts.keySet());
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

}
