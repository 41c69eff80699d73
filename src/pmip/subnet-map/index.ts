/** The subnet map: the table with longest-prefix match and its digest. The AAP protocol that distributes it: src/pmip/aap/. */
export * from './table.ts';
export * from './digest.ts';
