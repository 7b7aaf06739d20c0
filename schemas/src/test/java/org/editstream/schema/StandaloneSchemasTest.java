package org.editstream.schema;

import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The published .avsc files parse alone, each with every named type inside, and are the contracts themselves. */
class StandaloneSchemasTest {
    @ParameterizedTest
    @ValueSource(strings = {"CaptionEvent", "EditSample", "Rejection", "TrainingRow"})
    void eachPublishedSchemaParsesAloneAndIsTheContract(String name) throws Exception {
        String text = StandaloneSchemas.published(name);
        Schema alone = new Schema.Parser().parse(text); // a fresh parser: no named type known beforehand
        Schema contract = StandaloneSchemas.TOP_LEVEL.get(name);
        assertThat(SchemaNormalization.toParsingForm(alone)).isEqualTo(SchemaNormalization.toParsingForm(contract));
        assertThat(alone.getFields()).extracting(Schema.Field::name)
                .isEqualTo(contract.getFields().stream().map(Schema.Field::name).toList());
        assertThat(text).doesNotContain("avro.java.string");
        assertThat(namedTypes(alone, new HashSet<>())).isEqualTo(namedTypes(contract, new HashSet<>()));
    }

    private static Set<String> namedTypes(Schema schema, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.add(schema.getFullName())) {
                    schema.getFields().forEach(f -> namedTypes(f.schema(), seen));
                }
            }
            case ENUM, FIXED -> seen.add(schema.getFullName());
            case ARRAY -> namedTypes(schema.getElementType(), seen);
            case MAP -> namedTypes(schema.getValueType(), seen);
            case UNION -> schema.getTypes().forEach(t -> namedTypes(t, seen));
            default -> { }
        }
        return seen;
    }
}
