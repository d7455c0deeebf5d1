"""Background work: Pasok's own thin task layer over arq, and the jobs it runs."""
