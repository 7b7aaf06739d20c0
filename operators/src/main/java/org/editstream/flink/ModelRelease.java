package org.editstream.flink;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.util.FlinkUserCodeClassLoader;
import org.editstream.models.Resident;

/**
 * The models of a job submitted to a Flink cluster live as long as the job's classloader on that TaskManager: kept
 * across the job's restarts there, closed when Flink lets the classloader go (the job has finished, been stopped or
 * moved away). Where the job's classes are the JVM's own (a MiniCluster, {@code editstream run} in-process) the
 * models live as long as the JVM and the next job in it reuses them.
 */
final class ModelRelease {
    private ModelRelease() {
    }

    /** Called by each operator that opens models; Flink keeps one hook per name and classloader. */
    static void withJobClassLoader(RuntimeContext context) {
        if (Resident.class.getClassLoader() instanceof FlinkUserCodeClassLoader) {
            context.registerUserCodeClassLoaderReleaseHookIfAbsent("editstream-models", Resident::releaseAll);
        }
    }
}
