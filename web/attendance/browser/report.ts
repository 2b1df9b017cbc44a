/** The attendance record's print button (CSP forbids inline handlers). */
document.querySelector<HTMLButtonElement>('#print-record')?.addEventListener('click', () => window.print());
