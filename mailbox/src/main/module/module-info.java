/**
 * Wire formats shared by the simpler engine and its child processes: descriptors and flyweights over Agrona
 * buffers, and the shared-memory files they live in.
 */
module dev.simpler.mailbox
{
    requires transitive org.agrona;

    exports dev.simpler.mailbox;
}
