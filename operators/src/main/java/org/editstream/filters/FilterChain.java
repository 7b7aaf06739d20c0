package org.editstream.filters;

import org.editstream.rejections.Refusal;
import org.editstream.schema.EditSample;
import org.editstream.schema.Reason;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/** The filters a sample must pass, in order; the first failure rejects it with the filter's name and scores. */
public final class FilterChain implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<Filter> filters;

    public FilterChain(List<Filter> filters) {
        this.filters = List.copyOf(filters);
    }

    public List<Filter> filters() {
        return filters;
    }

    /** Passes the sample through, or refuses it as "FILTER_NAME: score vs threshold". */
    public void check(EditSample sample) throws Refusal {
        for (Filter filter : filters) {
            Optional<String> failure = filter.failure(sample);
            if (failure.isPresent()) {
                throw new FilterRefusal(filter.name(), failure.get());
            }
        }
    }

    /** A refusal that names the filter, so metrics can count pass rates per filter. */
    public static final class FilterRefusal extends Refusal {
        private final String filter;

        FilterRefusal(String filter, String detail) {
            super(Reason.FILTER_REJECTED, filter + ": " + detail);
            this.filter = filter;
        }

        public String filter() {
            return filter;
        }
    }
}
