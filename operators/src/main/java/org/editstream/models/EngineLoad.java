package org.editstream.models;

import ai.djl.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one log line that says where this JVM's libtorch came from, and whether it was loaded again.
 *
 * <p>libtorch can be loaded once per JVM: a second copy of DJL (in a job's classloader, on a Flink cluster whose
 * {@code lib/} lacks DJL or loads it child-first) would load the native library again on every restart of the job's
 * tasks, and fail. The first use in a JVM logs {@value #LOADED}; a later classloader of the job that finds the same
 * DJL logs that it reuses it; one that finds another DJL warns. The record of the first load is a JVM-wide system
 * property, because the job's own classes (this one included) may come and go with its classloader.
 */
public final class EngineLoad {
    /** The line of the first load in a JVM, which a cluster test counts in a TaskManager's log. */
    public static final String LOADED = "libtorch loaded in this JVM";
    static final String PROPERTY = "editstream.libtorch.loaded-by";
    /** DJL's switch for cuDNN's autotuner, read when its PyTorch engine starts. */
    static final String CUDNN_BENCHMARK = "ai.djl.pytorch.cudnn_benchmark";
    private static final Logger LOG = LoggerFactory.getLogger(EngineLoad.class);
    private static volatile boolean announced;

    private EngineLoad() {
    }

    /** Announces this JVM's engine, once per classloader of this class; cheap after the first call. */
    public static void announce() {
        if (announced) {
            return;
        }
        synchronized (EngineLoad.class) {
            if (announced) {
                return;
            }
            // cuDNN autotuning (DJL applies it when its engine starts): generation runs the same shapes step after
            // step, so the best convolution algorithms are found once and reused; -D...=false keeps it off
            if (System.getProperty(CUDNN_BENCHMARK) == null) {
                System.setProperty(CUDNN_BENCHMARK, "true");
            }
            Engine engine = Engine.getInstance();
            ClassLoader djl = Engine.class.getClassLoader();
            String loader = djl == null ? "bootstrap" : djl.getName() != null ? djl.getName() : djl.getClass().getName();
            String by = loader + "@" + Integer.toHexString(System.identityHashCode(djl));
            String describe = engine.getEngineName() + " " + engine.getVersion() + " (DJL " + Engine.getDjlVersion()
                    + ", from classloader " + by + ", pid " + ProcessHandle.current().pid() + ")";
            synchronized (System.getProperties()) {
                String before = System.getProperty(PROPERTY);
                if (before == null) {
                    System.setProperty(PROPERTY, by);
                    LOG.info("{}: {}", LOADED, describe);
                } else if (before.equals(by)) {
                    LOG.info("libtorch already loaded in this JVM, reused by a new classloader of the job: {}", describe);
                } else {
                    LOG.warn("libtorch was loaded in this JVM through DJL from classloader {}, and this DJL ({}) loads it "
                            + "again: on a Flink cluster put DJL in lib/ and load it parent-first "
                            + "(classloader.parent-first-patterns.additional: ai.djl.)", before, describe);
                }
            }
            announced = true;
        }
    }
}
