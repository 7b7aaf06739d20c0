package org.editstream.local;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The command line's progress bars: ASCII on standard output, redrawn four times a second. */
public final class ConsoleProgress {
    private ConsoleProgress() {
    }

    /** @param max the expected total, or -1 when unknown */
    public static ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250).setConsumer(new ConsoleProgressBarConsumer(System.out)).build();
    }
}
