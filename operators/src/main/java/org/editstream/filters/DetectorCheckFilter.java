package org.editstream.filters;

import org.editstream.schema.EditSample;
import org.editstream.schema.Scores;

import java.io.Serializable;
import java.util.Locale;
import java.util.Optional;

/**
 * Emu Edit's detector filter, on the decision the scoring stage recorded ({@code scores.detectorCheck}, made by
 * {@link org.editstream.perception.DetectorCheck}): a sample it failed is rejected with what the grounder saw; a
 * sample it did not judge passes.
 */
public final class DetectorCheckFilter implements Filter, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public String name() {
        return "FILTER_DETECTOR_CHECK";
    }

    @Override
    public Optional<String> failure(EditSample sample) {
        Scores s = sample.getScores();
        if (s.getDetectorCheck() == null || s.getDetectorCheck()) {
            return Optional.empty();
        }
        String present = score(s.getDetectorPresent());
        String absent = score(s.getDetectorAbsent());
        return Optional.of(switch (sample.getTask()) {
            case ADD -> String.format(Locale.ROOT, "the added '%s' must be found in the edited image only: it scores %s there and %s in the input",
                    sample.getEditedObject(), present, absent);
            case REMOVE -> String.format(Locale.ROOT, "the removed '%s' must be found in the input only: it scores %s there and %s in the edited image",
                    sample.getOriginalObject(), present, absent);
            default -> String.format(Locale.ROOT, "where the mask is, '%s' must be found and '%s' not: they score %s and %s in the edited image",
                    sample.getEditedObject(), sample.getOriginalObject(), present, absent);
        });
    }

    private static String score(Float value) {
        return value == null ? "(no score)" : String.format(Locale.ROOT, "%.3f", value);
    }
}
