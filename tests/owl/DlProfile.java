// Checks one Turtle ontology against the OWL 2 DL profile with the OWL API (OWL2DLProfile).
// Usage: java -cp OWLAPI-CLASSPATH DlProfile.java ONTOLOGY.ttl
// The file is loaded twice: by the strict parser, which drops every triple that does not fit
// the OWL 2 mapping to RDF (an undeclared term, say) and so hides the axioms that use it, and
// by the lax one, which guesses what it can and keeps the rest for the profile check to judge.
// Prints one tab-separated line per finding, and exits 0 (the caller judges the lines):
//   MODE  violation  a profile violation, as the OWL API words it
//   MODE  unparsed   a triple the parser could not read as part of any axiom
// where MODE is "strict" or "lax".
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class DlProfile {
    public static void main(String[] args) throws Exception {
        check(new File(args[0]), true);
        check(new File(args[0]), false);
    }

    private static void check(File file, boolean strict) throws Exception {
        String mode = strict ? "strict" : "lax";
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration().setStrict(strict);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(
            new FileDocumentSource(file, new TurtleDocumentFormat()), config);
        for (OWLProfileViolation violation : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            System.out.println(mode + "\tviolation\t" + violation.toString().replace('\n', ' '));
        }
        manager.getOntologyFormat(ontology).getOntologyLoaderMetaData().ifPresent(meta -> {
            if (meta instanceof RDFParserMetaData) {
                ((RDFParserMetaData) meta).getUnparsedTriples()
                    .forEach(triple -> System.out.println(mode + "\tunparsed\t" + triple));
            }
        });
    }
}
