package org.editstream.tasks;

/** Emu Edit's grouping of the tasks. */
public enum TaskGroup {
    REGION, FREE_FORM, VISION, TRANSLATION
}
