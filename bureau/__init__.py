"""Le bureau: the web workspace of the secretariat, the IEN and the pôle (FastAPI, pages
rendered on the server in French, the State's design system DSFR). Its handlers call the
same operations as the command line (`worker.actions`, `storage.repo`) and read through
`storage.bureau`, scoped by the signed-in person's circonscription and role."""
